//! The prompt editor: a text prompt, or chat messages and placeholders (add, remove, reorder
//! with buttons), the variables and references found as one types, a JSON config, labels, tags
//! and a commit message. The form's state is a `PromptDraft` (domain::prompt_draft); its
//! problems are shown under the field they name before anything is sent, and a refusal from the
//! server is shown the same way. Ctrl/Cmd+Enter submits.

use leptos::prelude::*;
use leptos_router::hooks::use_navigate;

use crate::server_fns::prompts::{CreatePromptVersion, DiscardPromptDraft, PublishPromptDraft};
use crate::components::shared_doc::{ClosedReason, Peer, PresenceLine, SharedDoc};
use crate::components::ui::*;
use crate::domain::collab::prompt_draft::{Field, SharedDraft};
use crate::domain::collab::Notice;
use crate::domain::prompt_draft::{format_config, DraftField, PromptDraft, ROLES, STAGING};
use crate::domain::prompts::{prompt_href, PromptTarget};
use crate::domain::prompts::{ChatItem, FieldError, PromptBody, PromptProblem, PromptReference, PromptType, MAX_COMMIT_MESSAGE, PRODUCTION};
use crate::error::AppError;
use crate::i18n::*;

/// What the editor creates.
#[derive(Debug, Clone, PartialEq)]
pub enum EditorMode {
    /// A new prompt (blank, or a duplicate of another's version): name and type are free.
    New,
    /// Version `latest + 1` of an existing prompt: name and type are fixed.
    NewVersion {
        latest: i32,
        /// The tags on the prompt now (tags belong to the name, not to a version).
        current_tags: Vec<String>,
        /// Protected labels the person may not set (empty for Admins and Owners).
        locked_labels: Vec<String>,
    },
}

/// One chat entry in the form: its own signals, so typing in one message re-renders nothing
/// else, and a stable id so reordering moves the row's elements instead of rebuilding them.
#[derive(Clone, Copy)]
struct Row {
    id: u32,
    /// The message's id in a shared draft (#19): the same on every screen.
    key: StoredValue<String>,
    kind: RowKind,
}

#[derive(Clone, Copy)]
enum RowKind {
    Message { role: RwSignal<String>, other_role: RwSignal<bool>, content: RwSignal<String> },
    Placeholder { name: RwSignal<String> },
}

impl Row {
    fn new(id: u32, key: String, item: &ChatItem) -> Row {
        let kind = match item {
            ChatItem::Message { role, content } => RowKind::Message {
                role: RwSignal::new(role.clone()),
                other_role: RwSignal::new(!ROLES.contains(&role.as_str())),
                content: RwSignal::new(content.clone()),
            },
            ChatItem::Placeholder { name } => RowKind::Placeholder { name: RwSignal::new(name.clone()) },
        };
        Row { id, key: StoredValue::new(key), kind }
    }

    /// Makes the row show `item` (a remote change), touching only what differs.
    fn show(&self, item: &ChatItem) -> bool {
        match (self.kind, item) {
            (RowKind::Message { role, other_role, content }, ChatItem::Message { role: r, content: c }) => {
                if role.with_untracked(|x| x != r) {
                    role.set(r.clone());
                    other_role.set(!ROLES.contains(&r.as_str()));
                }
                if content.with_untracked(|x| x != c) {
                    content.set(c.clone());
                }
                true
            }
            (RowKind::Placeholder { name }, ChatItem::Placeholder { name: n }) => {
                if name.with_untracked(|x| x != n) {
                    name.set(n.clone());
                }
                true
            }
            _ => false,
        }
    }

    fn item(&self) -> ChatItem {
        match self.kind {
            RowKind::Message { role, content, .. } => ChatItem::Message { role: role.get(), content: content.get() },
            RowKind::Placeholder { name } => ChatItem::Placeholder { name: name.get() },
        }
    }
}

/// How the form names a field in the summary beside the button (`DraftField::label()` is
/// English only).
fn field_label(locale: Locale, field: DraftField) -> String {
    match field {
        DraftField::Name => td_string!(locale, prompts.editor.fields.name).to_string(),
        DraftField::Type => td_string!(locale, prompts.editor.fields.kind).to_string(),
        DraftField::Prompt => td_string!(locale, prompts.editor.fields.prompt).to_string(),
        DraftField::Item(i) => td_string!(locale, prompts.editor.fields.message, number = i + 1).to_string(),
        DraftField::Config => td_string!(locale, prompts.editor.fields.config).to_string(),
        DraftField::Labels => td_string!(locale, prompts.editor.fields.labels).to_string(),
        DraftField::Tags => td_string!(locale, prompts.editor.fields.tags).to_string(),
        DraftField::CommitMessage => td_string!(locale, prompts.editor.fields.commit_message).to_string(),
        DraftField::Other => td_string!(locale, prompts.editor.fields.request).to_string(),
    }
}

#[component]
pub fn PromptEditor(
    project_id: String,
    initial: PromptDraft,
    mode: EditorMode,
    /// A shared draft (#19): the form edits the document everyone in it edits, and publishing
    /// makes the version from the stored draft.
    #[prop(default = None)]
    shared: Option<SharedDoc>,
    /// With `shared`: the ids of `initial.messages`.
    #[prop(optional)]
    message_ids: Vec<String>,
) -> impl IntoView {
    let i18n = use_i18n();
    let locale = i18n.get_locale_untracked();
    let new_prompt = mode == EditorMode::New;
    let (latest, current_tags, locked_labels) = match &mode {
        EditorMode::NewVersion { latest, current_tags, locked_labels } => (Some(*latest), current_tags.clone(), locked_labels.clone()),
        EditorMode::New => (None, Vec::new(), Vec::new()),
    };
    let project_id = StoredValue::new(project_id);

    let name = RwSignal::new(initial.name.clone());
    let prompt_type = RwSignal::new(initial.prompt_type);
    let text = RwSignal::new(initial.text.clone());
    // Rows made later (by "Add message") belong to the editor, not to the click handler.
    let owner = Owner::current();
    let next_id = StoredValue::new(0u32);
    let make_row = move |item: &ChatItem, key: Option<String>| {
        let id = next_id.get_value();
        next_id.set_value(id + 1);
        let key = key.unwrap_or_else(|| new_key(id));
        match &owner {
            Some(owner) => owner.with(|| Row::new(id, key, item)),
            None => Row::new(id, key, item),
        }
    };
    let first_items: Vec<(ChatItem, Option<String>)> = if initial.messages.is_empty() && shared.is_none() {
        vec![(ChatItem::Message { role: "system".into(), content: String::new() }, None)]
    } else {
        initial.messages.iter().cloned().zip(message_ids.iter().cloned().map(Some).chain(std::iter::repeat(None))).collect()
    };
    let rows = RwSignal::new(first_items.iter().map(|(item, key)| make_row(item, key.clone())).collect::<Vec<Row>>());
    let config = RwSignal::new(initial.config.clone());
    let production = RwSignal::new(initial.production);
    let staging = RwSignal::new(initial.staging);
    let custom_labels = RwSignal::new(initial.custom_labels.clone());
    let keep_tags = RwSignal::new(initial.keep_tags);
    let tags = RwSignal::new(initial.tags.clone());
    let commit_message = RwSignal::new(initial.commit_message.clone());

    let draft = Memo::new(move |_| PromptDraft {
        name: name.get(),
        prompt_type: prompt_type.get(),
        text: text.get(),
        messages: rows.with(|rows| rows.iter().map(Row::item).collect()),
        config: config.get(),
        production: production.get(),
        staging: staging.get(),
        custom_labels: custom_labels.get(),
        keep_tags: keep_tags.get(),
        tags: tags.get(),
        commit_message: commit_message.get(),
    });
    let body = Memo::new(move |_| draft.with(PromptDraft::body));
    let problems = Memo::new(move |_| draft.with(PromptDraft::problems));

    // A shared draft: the form and the document follow each other. Local edits are written into
    // the document (the smallest edit per field, messages by id) once it holds the server's
    // state; remote changes are shown in the fields, each signal set only where it differs (the
    // focused field's caret is kept by the document's client).
    if let Some(shared) = shared {
        let make_row = make_row.clone();
        Effect::new(move |first: Option<()>| {
            let current = draft.get();
            let ids: Vec<String> = rows.with(|rows| rows.iter().map(|r| r.key.get_value()).collect());
            // The first values are the page's (rendered by the server), not edits: writing them
            // into a document restored from this browser would add them a second time.
            if first.is_none() || !shared.ready.get_untracked() || !shared.can_write.get_untracked() {
                return;
            }
            let state = SharedDraft { draft: current, message_ids: ids, base: None };
            shared.change(move |txn, roots: &crate::domain::collab::prompt_draft::DraftDoc| roots.write(txn, &state));
        });
        Effect::new(move |_| {
            shared.remote.track();
            if !shared.ready.get() {
                return;
            }
            let Some(state) = shared.with_doc(crate::domain::collab::prompt_draft::read) else { return };
            let d = state.draft;
            let set = |signal: RwSignal<String>, value: String| {
                if signal.with_untracked(|v| *v != value) {
                    signal.set(value);
                }
            };
            set(text, d.text);
            set(config, d.config);
            set(custom_labels, d.custom_labels);
            set(tags, d.tags);
            set(commit_message, d.commit_message);
            for (signal, value) in [(production, d.production), (staging, d.staging), (keep_tags, d.keep_tags)] {
                if signal.get_untracked() != value {
                    signal.set(value);
                }
            }
            let current = rows.get_untracked();
            let mut next = Vec::with_capacity(d.messages.len());
            for (item, id) in d.messages.iter().zip(&state.message_ids) {
                match current.iter().find(|r| r.key.with_value(|k| k == id)) {
                    Some(row) if row.show(item) => next.push(*row),
                    _ => next.push(make_row(item, Some(id.clone()))),
                }
            }
            let same = next.len() == current.len() && next.iter().zip(&current).all(|(a, b)| a.id == b.id);
            if !same {
                rows.set(next);
            }
        });
    }
    let editable = move || shared.is_none_or(|s| s.ready.get() && s.can_write.get());

    let create = ServerAction::<CreatePromptVersion>::new();
    let publish = ServerAction::<PublishPromptDraft>::new();
    let publish_requested = RwSignal::new(false);
    // The server's refusal, until the draft changes.
    let server_error = RwSignal::new(None::<AppError>);
    Effect::new(move |_| {
        if let Some(Err(error)) = create.value().get() {
            server_error.set(Some(error));
        }
    });
    Effect::new(move |_| {
        if let Some(Err(error)) = publish.value().get() {
            server_error.set(Some(error));
        }
    });
    Effect::new(move |previous: Option<()>| {
        draft.track();
        if previous.is_some() {
            server_error.set(None);
        }
    });
    let navigate = use_navigate();
    let navigate_to = navigate.clone();
    Effect::new(move |_| {
        if let Some(Ok(created)) = create.value().get() {
            let page = prompt_href(&project_id.get_value(), &created.name, Some(&PromptTarget::Version(created.version)));
            navigate(&page, Default::default());
        }
    });
    Effect::new(move |_| {
        if let Some(Ok(created)) = publish.value().get() {
            let page = prompt_href(&project_id.get_value(), &created.name, Some(&PromptTarget::Version(created.version)));
            navigate_to(&page, Default::default());
        }
    });
    // Publishing waits until every change of this screen is stored, so the version has them.
    if let Some(shared) = shared {
        let name = name;
        Effect::new(move |_| {
            if publish_requested.get() && shared.saved() && !publish.pending().get_untracked() {
                publish_requested.set(false);
                publish.dispatch(PublishPromptDraft { project_id: project_id.get_value(), name: name.get_untracked() });
            }
        });
    }

    // An empty name is not called out before the person has been to the field or tried to save.
    let name_touched = RwSignal::new(false);
    let tried = RwSignal::new(false);
    let problem_at = move |target: DraftField| -> Option<String> {
        if target == DraftField::Name && !name_touched.get() && !tried.get() && name.with(String::is_empty) {
            return None;
        }
        problems
            .with(|problems| problems.iter().find(|p| DraftField::of(&p.field) == target).map(|p| prompt_problem(locale, p)))
            .or_else(|| {
                server_error.with(|e| match e {
                    Some(AppError::Invalid { field, message }) if DraftField::of(field) == target => Some(message.clone()),
                    _ => None,
                })
            })
    };
    // Refusals no field shows (not allowed, not found, the server unreachable) go in an alert.
    let general_error = Signal::derive(move || {
        server_error.get().filter(|e| !matches!(e, AppError::Invalid { field, .. } if DraftField::of(field) != DraftField::Other))
    });
    // Why the button is disabled, in one line beside it.
    let blocking = move || {
        problems.with(|problems| problems.first().map(|p| {
            td_string!(locale, prompts.editor.blocking, field = field_label(locale, DraftField::of(&p.field)), problem = prompt_problem(locale, p)).to_string()
        }))
    };

    let submit = move || {
        tried.set(true);
        if create.pending().get_untracked() || publish.pending().get_untracked() || !problems.with_untracked(Vec::is_empty) {
            return;
        }
        if shared.is_some() {
            server_error.set(None);
            publish_requested.set(true);
            return;
        }
        match draft.with_untracked(PromptDraft::to_new_prompt) {
            Ok(prompt) => {
                create.dispatch(CreatePromptVersion { project_id: project_id.get_value(), prompt });
            }
            Err(e) => server_error.set(Some(AppError::invalid(&e.field, prompt_problem(locale, &e)))),
        }
    };

    let add_row = Callback::new(move |item: ChatItem| {
        let row = make_row(&item, None);
        rows.update(|rows| rows.push(row));
        let target = match item {
            ChatItem::Message { .. } => format!("chat-{}-content", row.id),
            ChatItem::Placeholder { .. } => format!("chat-{}-name", row.id),
        };
        focus_soon(vec![target]);
    });
    let problem_in = Callback::new(move |target| problem_at(target));

    // After someone publishes the shared draft, the next version is one further.
    let latest_now = Signal::derive(move || {
        let published = shared.and_then(|s| s.notice.with(|n| match n {
            Some(Notice::Published { version, .. }) => Some(*version),
            _ => None,
        }));
        published.or(latest)
    });
    let submit_label = move || match latest_now.get() {
        Some(latest) => td_string!(locale, prompts.editor.create_version, version = latest + 1).to_string(),
        None => td_string!(locale, prompts.editor.create_prompt).to_string(),
    };
    let busy = move || create.pending().get() || publish.pending().get() || publish_requested.get();
    let collab = move |field: Field| shared.map(|shared| (field.key(), shared));
    let on_typed = move || {
        if let Some(shared) = shared {
            shared.typed();
        }
    };
    let moved = move || {
        if let Some(shared) = shared {
            shared.moved();
        }
    };
    let project_for_discard = project_id;
    view! {
        {shared.map(|shared| view! { <DraftBar shared project_id=project_for_discard.get_value() name /> })}
        <form class="grid grid-cols-[minmax(0,1fr)] gap-6 lg:grid-cols-[minmax(0,2fr)_minmax(0,1fr)]" data-testid="prompt-editor"
            data-shared=shared.is_some().then_some("true")
            on:submit=move |ev| { ev.prevent_default(); submit(); }
            on:input=move |_| on_typed()
            on:keyup=move |_| moved()
            on:mouseup=move |_| moved()
            on:focusin=move |_| moved()
            on:focusout=move |_| { if let Some(shared) = shared { shared.report_focus(false) } }
            on:keydown=move |ev| {
                if ev.key() == "Enter" && (ev.ctrl_key() || ev.meta_key()) {
                    ev.prevent_default();
                    submit();
                }
            }>
            <fieldset class="contents" disabled=move || !editable()>
            <div class="min-w-0 space-y-5">
                {new_prompt.then(|| view! {
                    <div>
                        <label class=LABEL for="prompt-name">{t_string!(i18n, prompts.editor.name)}</label>
                        <input id="prompt-name" class=format!("{INPUT} mt-1 font-mono") data-testid="prompt-name" autocomplete="off"
                            aria-describedby="prompt-name-hint"
                            aria-invalid=move || problem_at(DraftField::Name).is_some().to_string()
                            prop:value=move || name.get()
                            on:input=move |ev| name.set(event_target_value(&ev))
                            on:blur=move |_| name_touched.set(true) />
                        <p id="prompt-name-hint" class=HINT>{t_string!(i18n, prompts.editor.name_hint)}</p>
                        <Problem message=Signal::derive(move || problem_at(DraftField::Name)) test_id="error-name" />
                    </div>
                    <fieldset>
                        <legend class=LABEL>{t_string!(i18n, prompts.editor.type_legend)}</legend>
                        <div class="mt-1 flex gap-4 text-sm">
                            {[PromptType::Text, PromptType::Chat].into_iter().map(|t| view! {
                                <label class="flex items-center gap-1.5">
                                    <input type="radio" name="prompt-type" value=t.as_str() data-testid=format!("type-{}", t.as_str())
                                        prop:checked=move || prompt_type.get() == t
                                        on:change=move |_| prompt_type.set(t) />
                                    {match t { PromptType::Text => t_string!(i18n, prompts.editor.type_text), PromptType::Chat => t_string!(i18n, prompts.editor.type_chat) }}
                                </label>
                            }).collect_view()}
                        </div>
                        <Problem message=Signal::derive(move || problem_at(DraftField::Type)) test_id="error-type" />
                    </fieldset>
                })}
                {(!new_prompt).then(|| view! {
                    <p class="text-sm text-zinc-600 dark:text-zinc-300" data-testid="fixed-type">
                        {t_string!(i18n, prompts.editor.fixed_type, prompt_type = initial.prompt_type.as_str()).to_string()}
                    </p>
                    <Problem message=Signal::derive(move || problem_at(DraftField::Type)) test_id="error-type" />
                })}
                <div>
                    {move || match prompt_type.get() {
                        PromptType::Text => view! {
                            <label class=LABEL for="prompt-text">{t_string!(i18n, prompts.editor.prompt)}</label>
                            <PromptTextarea id="prompt-text".to_string() test_id="prompt-text" value=text min_rows=10 collab=collab(Field::Text)
                                placeholder=t_string!(i18n, prompts.editor.prompt_placeholder, example = "{{variable}}").to_string() />
                        }.into_any(),
                        PromptType::Chat => view! {
                            <ChatEditor rows add_row problem_at=problem_in shared />
                        }.into_any(),
                    }}
                    <Problem message=Signal::derive(move || problem_at(DraftField::Prompt)) test_id="error-prompt" />
                </div>
                <Detected body />
            </div>

            <div class="min-w-0 space-y-5">
                <ConfigEditor config problem=Signal::derive(move || problem_at(DraftField::Config)) shared />

                <fieldset>
                    <legend class=LABEL>{t_string!(i18n, prompts.editor.labels)}</legend>
                    <div class="mt-1 flex flex-wrap gap-4 text-sm">
                        {[(PRODUCTION, production), (STAGING, staging)].into_iter().map(|(label, checked)| {
                            let locked = locked_labels.iter().any(|l| l == label);
                            view! {
                                <label class="flex items-center gap-1.5" title=locked.then_some(t_string!(i18n, prompts.editor.locked_title))>
                                    <input type="checkbox" data-testid=format!("label-{label}") disabled=locked
                                        prop:checked=move || checked.get()
                                        on:change=move |ev| checked.set(event_target_checked(&ev)) />
                                    <span class="font-mono">{label}</span>
                                    {locked.then_some(view! { <span class="text-xs text-zinc-500">{t_string!(i18n, prompts.protected_suffix)}</span> })}
                                </label>
                            }
                        }).collect_view()}
                    </div>
                    <input class=format!("{INPUT} mt-2 font-mono") data-testid="prompt-custom-labels" autocomplete="off" data-collab=shared.map(|_| Field::Labels.key())
                        aria-label=t_string!(i18n, prompts.editor.other_labels) placeholder=t_string!(i18n, prompts.editor.other_labels_placeholder)
                        prop:value=move || custom_labels.get()
                        on:input=move |ev| custom_labels.set(event_target_value(&ev)) />
                    <p class=HINT>{t!(i18n, prompts.editor.labels_hint, latest = || view! { <span class="font-mono">"latest"</span> })}</p>
                    <Problem message=Signal::derive(move || problem_at(DraftField::Labels)) test_id="error-labels" />
                </fieldset>

                <div>
                    <label class=LABEL for="prompt-tags">{t_string!(i18n, prompts.editor.tags)}</label>
                    {latest.map(|_| {
                        let current = if current_tags.is_empty() { t_string!(i18n, prompts.none).to_string() } else { current_tags.join(", ") };
                        view! {
                            <label class="mt-1 flex items-center gap-1.5 text-sm">
                                <input type="checkbox" data-testid="keep-tags"
                                    prop:checked=move || keep_tags.get()
                                    on:change=move |ev| keep_tags.set(event_target_checked(&ev)) />
                                // One span for the sentence, so the label's flex gap does not split it.
                                <span>{t!(i18n, prompts.editor.keep_tags, current = move || view! { <span data-testid="current-tags">{current.clone()}</span> })}</span>
                            </label>
                        }
                    })}
                    <Show when=move || !keep_tags.get()>
                        <input id="prompt-tags" class=format!("{INPUT} mt-1") data-testid="prompt-tags" autocomplete="off" data-collab=shared.map(|_| Field::Tags.key())
                            placeholder=t_string!(i18n, prompts.editor.tags_placeholder)
                            prop:value=move || tags.get()
                            on:input=move |ev| tags.set(event_target_value(&ev)) />
                    </Show>
                    <p class=HINT>{t_string!(i18n, prompts.editor.tags_hint)}</p>
                    <Problem message=Signal::derive(move || problem_at(DraftField::Tags)) test_id="error-tags" />
                </div>

                <div>
                    <div class="flex items-baseline justify-between">
                        <label class=LABEL for="prompt-commit">{t_string!(i18n, prompts.editor.commit_message)}</label>
                        <span data-testid="commit-count"
                            class=move || { if commit_message.with(|m| m.chars().count()) > MAX_COMMIT_MESSAGE { "text-xs text-red-600 dark:text-red-400" } else { "text-xs text-zinc-500" } }>
                            {move || format!("{}/{MAX_COMMIT_MESSAGE}", commit_message.with(|m| m.chars().count()))}
                        </span>
                    </div>
                    <textarea id="prompt-commit" data-testid="prompt-commit" rows="2" class=format!("{INPUT} mt-1") data-collab=shared.map(|_| Field::Commit.key())
                        placeholder=t_string!(i18n, prompts.editor.commit_placeholder)
                        prop:value=move || commit_message.get()
                        on:input=move |ev| commit_message.set(event_target_value(&ev))></textarea>
                    <Problem message=Signal::derive(move || problem_at(DraftField::CommitMessage)) test_id="error-commit" />
                </div>

                <ErrorAlert error=general_error />
                <div class="flex flex-wrap items-center gap-3">
                    <button type="submit" class=BUTTON_PRIMARY data-testid="submit-prompt"
                        disabled=move || busy() || !problems.with(Vec::is_empty)>
                        {move || if busy() { t_string!(i18n, prompts.editor.saving).to_string() } else { submit_label() }}
                    </button>
                    <kbd class="text-xs text-zinc-500">"Ctrl/⌘ + Enter"</kbd>
                </div>
                {move || blocking().map(|reason| view! {
                    <p class="text-xs text-zinc-500 dark:text-zinc-400" data-testid="submit-blocked">{reason}</p>
                })}
            </div>
            </fieldset>
        </form>
    }
}

/// A problem with a field, under it (nothing while there is none).
#[component]
fn Problem(message: Signal<Option<String>>, test_id: &'static str) -> impl IntoView {
    move || {
        message.get().map(|m| view! { <p class="mt-1 text-xs text-red-600 dark:text-red-400" data-testid=test_id>{m}</p> })
    }
}

/// The chat messages and placeholders, each with its controls.
#[component]
fn ChatEditor(rows: RwSignal<Vec<Row>>, add_row: Callback<ChatItem>, problem_at: Callback<DraftField, Option<String>>, shared: Option<SharedDoc>) -> impl IntoView {
    let move_row = move |id: u32, up: bool| {
        rows.update(|rows| {
            let Some(i) = rows.iter().position(|r| r.id == id) else { return };
            let j = if up { i.checked_sub(1) } else { Some(i + 1).filter(|j| *j < rows.len()) };
            if let Some(j) = j {
                rows.swap(i, j);
            }
        });
        // The row's elements moved: keep the keyboard where it was (or on the other arrow at
        // the ends).
        let (same, other) = if up { ("up", "down") } else { ("down", "up") };
        focus_soon(vec![format!("chat-{id}-{same}"), format!("chat-{id}-{other}")]);
    };
    let remove_row = move |id: u32| rows.update(|rows| rows.retain(|r| r.id != id));
    let i18n = use_i18n();
    view! {
        <div>
            <span class=LABEL>{t_string!(i18n, prompts.editor.messages)}</span>
            <ol class="mt-1 space-y-3" data-testid="chat-items">
                <For each=move || rows.get() key=|row| row.id children=move |row: Row| {
                    let id = row.id;
                    let key = row.key.get_value();
                    let index = Memo::new(move |_| rows.with(|rows| rows.iter().position(|r| r.id == id).unwrap_or(0)));
                    let count = Memo::new(move |_| rows.with(Vec::len));
                    let problem = Signal::derive(move || problem_at.run(DraftField::Item(index.get())));
                    let (kind, content) = match row.kind {
                        RowKind::Message { role, other_role, content } => ("message", view! {
                            <div class="flex flex-wrap items-center gap-2">
                                <select class=SELECT data-testid="message-role"
                                    aria-label=move || t_string!(i18n, prompts.editor.role_of, number = index.get() + 1).to_string()
                                    prop:value=move || if other_role.get() { "other".to_string() } else { role.get() }
                                    on:change=move |ev| {
                                        let value = event_target_value(&ev);
                                        if value == "other" {
                                            other_role.set(true);
                                            role.set(String::new());
                                            focus_soon(vec![format!("chat-{id}-role")]);
                                        } else {
                                            other_role.set(false);
                                            role.set(value);
                                        }
                                    }>
                                    {ROLES.into_iter().map(|r| view! { <option value=r selected=move || !other_role.get() && role.with(|x| x == r)>{r}</option> }).collect_view()}
                                    <option value="other" selected=move || other_role.get()>{t_string!(i18n, prompts.editor.other_role_option)}</option>
                                </select>
                                <Show when=move || other_role.get()>
                                    <input id=format!("chat-{id}-role") class=format!("{} font-mono", INPUT.replace("w-full", "w-48")) data-testid="message-other-role"
                                        autocomplete="off" placeholder=t_string!(i18n, prompts.editor.other_role_placeholder)
                                        aria-label=move || t_string!(i18n, prompts.editor.other_role_of, number = index.get() + 1).to_string()
                                        prop:value=move || role.get()
                                        on:input=move |ev| role.set(event_target_value(&ev)) />
                                </Show>
                            </div>
                            <div class="mt-1">
                                <PromptTextarea id=format!("chat-{id}-content") test_id="message-content" value=content min_rows=2
                                    collab=shared.map(|shared| (Field::Content(key.clone()).key(), shared))
                                    aria_label=Signal::derive(move || t_string!(i18n, prompts.editor.content_of, number = index.get() + 1).to_string()) />
                            </div>
                        }.into_any()),
                        RowKind::Placeholder { name } => ("placeholder", view! {
                            <div class="flex items-center gap-2">
                                <span class="rounded bg-amber-100 px-1.5 py-0.5 text-xs font-medium text-amber-900 dark:bg-amber-950 dark:text-amber-200">{t_string!(i18n, prompts.view.placeholder)}</span>
                                <input id=format!("chat-{id}-name") class=format!("{INPUT} font-mono") data-testid="placeholder-name" autocomplete="off"
                                    data-collab=shared.map(|_| Field::Placeholder(key.clone()).key())
                                    placeholder=t_string!(i18n, prompts.editor.placeholder_name_placeholder)
                                    aria-label=move || t_string!(i18n, prompts.editor.placeholder_name_of, number = index.get() + 1).to_string()
                                    prop:value=move || name.get()
                                    on:input=move |ev| name.set(event_target_value(&ev)) />
                            </div>
                            <p class=HINT>{t_string!(i18n, prompts.editor.placeholder_hint)}</p>
                        }.into_any()),
                    };
                    let message = kind == "message";
                    view! {
                        <li class=format!("{CARD} px-3 py-3") data-testid="chat-item" data-kind=kind
                            data-invalid=move || problem.with(Option::is_some).to_string()>
                            <div class="mb-2 flex items-center justify-between gap-2 text-xs text-zinc-500">
                                <span class="font-medium">{move || if message {
                                    t_string!(i18n, prompts.editor.message_n, number = index.get() + 1).to_string()
                                } else {
                                    t_string!(i18n, prompts.editor.placeholder_n, number = index.get() + 1).to_string()
                                }}</span>
                                <div class="flex items-center gap-1">
                                    <button type="button" id=format!("chat-{id}-up") class=ICON_BUTTON data-testid="move-up"
                                        aria-label=move || if message {
                                            t_string!(i18n, prompts.editor.move_message_up, number = index.get() + 1).to_string()
                                        } else {
                                            t_string!(i18n, prompts.editor.move_placeholder_up, number = index.get() + 1).to_string()
                                        }
                                        disabled=move || index.get() == 0
                                        on:click=move |_| move_row(id, true)>"↑"</button>
                                    <button type="button" id=format!("chat-{id}-down") class=ICON_BUTTON data-testid="move-down"
                                        aria-label=move || if message {
                                            t_string!(i18n, prompts.editor.move_message_down, number = index.get() + 1).to_string()
                                        } else {
                                            t_string!(i18n, prompts.editor.move_placeholder_down, number = index.get() + 1).to_string()
                                        }
                                        disabled=move || { index.get() + 1 >= count.get() }
                                        on:click=move |_| move_row(id, false)>"↓"</button>
                                    <button type="button" class=format!("{ICON_BUTTON} text-red-600 dark:text-red-400") data-testid="remove-item"
                                        aria-label=move || if message {
                                            t_string!(i18n, prompts.editor.remove_message, number = index.get() + 1).to_string()
                                        } else {
                                            t_string!(i18n, prompts.editor.remove_placeholder, number = index.get() + 1).to_string()
                                        }
                                        on:click=move |_| remove_row(id)>{t_string!(i18n, prompts.editor.remove)}</button>
                                </div>
                            </div>
                            {content}
                            <Problem message=problem test_id="error-item" />
                        </li>
                    }
                } />
            </ol>
            <div class="mt-3 flex gap-2">
                <button type="button" class=BUTTON_SECONDARY data-testid="add-message"
                    on:click=move |_| {
                        let role = if rows.with(Vec::is_empty) { "system" } else { "user" };
                        add_row.run(ChatItem::Message { role: role.into(), content: String::new() });
                    }>{t_string!(i18n, prompts.editor.add_message)}</button>
                <button type="button" class=BUTTON_SECONDARY data-testid="add-placeholder"
                    on:click=move |_| add_row.run(ChatItem::Placeholder { name: String::new() })>{t_string!(i18n, prompts.editor.add_placeholder)}</button>
            </div>
        </div>
    }
}

const ICON_BUTTON: &str = "rounded px-1.5 py-0.5 text-xs hover:bg-zinc-100 focus-visible:outline-none focus-visible:ring-2 focus-visible:ring-indigo-500 disabled:cursor-not-allowed disabled:opacity-40 dark:hover:bg-zinc-800";
const CHIP: &str = "rounded bg-zinc-100 px-1.5 py-0.5 font-mono text-xs dark:bg-zinc-800";

/// What `compile()` will ask for, found as one types: variables, placeholders and references
/// to other prompts.
#[component]
fn Detected(body: Memo<PromptBody>) -> impl IntoView {
    let variables = Memo::new(move |_| body.with(PromptBody::variables));
    let placeholders = Memo::new(move |_| body.with(|b| b.placeholders().into_iter().map(String::from).collect::<Vec<_>>()));
    let references = Memo::new(move |_| body.with(|b| b.references().iter().map(ToString::to_string).collect::<Vec<_>>()));
    let i18n = use_i18n();
    view! {
        <section class=format!("{CARD} space-y-2 px-4 py-3 text-sm") aria-label=t_string!(i18n, prompts.editor.detected) data-testid="detected">
            <div class="flex flex-wrap items-center gap-1.5" data-testid="variables">
                <span class="mr-1 text-zinc-500">{t_string!(i18n, prompts.editor.variables)}</span>
                {move || {
                    let variables = variables.get();
                    if variables.is_empty() {
                        view! { <span class="text-xs text-zinc-500">{t!(i18n, prompts.editor.no_variables, example = || view! { <code class="font-mono">"{{name}}"</code> })}</span> }.into_any()
                    } else {
                        variables.into_iter().map(|v| view! {
                            <span class=format!("{CHIP} text-indigo-700 dark:text-indigo-300") data-testid="variable-chip">{v}</span>
                        }).collect_view().into_any()
                    }
                }}
            </div>
            <Show when=move || !placeholders.with(Vec::is_empty)>
                <div class="flex flex-wrap items-center gap-1.5" data-testid="placeholders">
                    <span class="mr-1 text-zinc-500">{t_string!(i18n, prompts.editor.placeholders)}</span>
                    {move || placeholders.get().into_iter().map(|p| view! {
                        <span class=format!("{CHIP} text-amber-800 dark:text-amber-300") data-testid="placeholder-chip">{p}</span>
                    }).collect_view()}
                </div>
            </Show>
            <Show when=move || !references.with(Vec::is_empty)>
                <div data-testid="references">
                    <span class="text-zinc-500">{t_string!(i18n, prompts.editor.includes)}</span>
                    <ul class="mt-1 list-inside list-disc text-xs">
                        {move || references.get().into_iter().map(|r| view! { <li class="font-mono" data-testid="reference">{r}</li> }).collect_view()}
                    </ul>
                </div>
            </Show>
        </section>
    }
}

/// The config as JSON text, checked as one types, with a Format button.
#[component]
fn ConfigEditor(config: RwSignal<String>, problem: Signal<Option<String>>, shared: Option<SharedDoc>) -> impl IntoView {
    let formatted = Memo::new(move |_| config.with(|c| format_config(c)));
    let i18n = use_i18n();
    view! {
        <div>
            <div class="flex items-baseline justify-between">
                <label class=LABEL for="prompt-config">{t_string!(i18n, prompts.editor.config)}</label>
                <button type="button" class=BUTTON_LINK data-testid="format-config"
                    disabled=move || formatted.with(Option::is_none)
                    on:click=move |_| {
                        if let Some(pretty) = formatted.get_untracked() {
                            config.set(pretty);
                        }
                    }>{t_string!(i18n, prompts.editor.format)}</button>
            </div>
            <textarea id="prompt-config" data-testid="prompt-config" spellcheck="false" translate="no" data-collab=shared.map(|_| Field::Config.key())
                class=format!("{INPUT} mt-1 font-mono text-xs")
                rows=move || config.with(|c| c.lines().count().clamp(4, 24))
                placeholder="{\"model\": \"gpt-4o\", \"temperature\": 0.7}"
                aria-invalid=move || problem.with(Option::is_some).to_string()
                prop:value=move || config.get()
                on:input=move |ev| config.set(event_target_value(&ev))></textarea>
            <p class=HINT>{t_string!(i18n, prompts.editor.config_hint)}</p>
            <Problem message=problem test_id="error-config" />
        </div>
    }
}

/// Focuses the first of `ids` that exists and is enabled, after the DOM has caught up.
fn focus_soon(_ids: Vec<String>) {
    #[cfg(feature = "hydrate")]
    request_animation_frame(move || {
        use leptos::wasm_bindgen::JsCast;
        let document = document();
        for id in &_ids {
            let Some(element) = document.get_element_by_id(id) else { continue };
            if element.has_attribute("disabled") {
                continue;
            }
            if let Ok(element) = element.dyn_into::<web_sys::HtmlElement>() {
                let _ = element.focus();
                return;
            }
        }
    });
}

/// A prompt text field that grows with its text and marks its `{{variables}}`: a transparent
/// textarea over a copy of its text in which the variables are highlighted, both in one grid
/// cell, so the copy also sets the height (no scrollbar, no measuring). The copy uses the same
/// font, padding and wrapping as the textarea, so the marks sit under the typed variables.
#[component]
fn PromptTextarea(
    id: String,
    test_id: &'static str,
    value: RwSignal<String>,
    min_rows: usize,
    #[prop(optional, into)] placeholder: String,
    #[prop(optional)] aria_label: Option<Signal<String>>,
    /// In a shared draft: the field's key, and the document (the others' carets are drawn).
    #[prop(default = None)]
    collab: Option<(String, SharedDoc)>,
) -> impl IntoView {
    const TEXT: &str = "col-start-1 row-start-1 whitespace-pre-wrap break-words px-3 py-1.5 font-mono text-sm";
    let field = collab.as_ref().map(|(field, _)| field.clone());
    let carets = collab.map(|(field, shared)| {
        move || {
            let peers = shared.carets(&field);
            value.with(|text| caret_overlay(text, &peers))
        }
    });
    let marked = move || {
        value.with(|text| {
            let mut parts: Vec<AnyView> = Vec::new();
            let mut at = 0;
            for (range, _) in crate::domain::prompts::variable_spans(text) {
                parts.push(text[at..range.start].to_string().into_any());
                parts.push(view! { <mark class="rounded-sm bg-indigo-200/70 text-transparent dark:bg-indigo-500/40" data-testid="variable-mark">{text[range.clone()].to_string()}</mark> }.into_any());
                at = range.end;
            }
            // A trailing newline has a line of its own in the textarea: give it one here too.
            parts.push(format!("{}\u{200b}", &text[at..]).into_any());
            parts
        })
    };
    view! {
        <div class="grid rounded-md border border-zinc-300 bg-white shadow-sm focus-within:border-indigo-500 focus-within:ring-2 focus-within:ring-indigo-500/30 dark:border-zinc-700 dark:bg-zinc-900">
            <div aria-hidden="true" class=format!("{TEXT} pointer-events-none text-transparent")>{marked}</div>
            <textarea id=id data-testid=test_id spellcheck="false" rows=min_rows placeholder=placeholder data-collab=field
                aria-label=aria_label.map(|label| move || label.get())
                class=format!("{TEXT} block w-full resize-none overflow-hidden bg-transparent placeholder:text-zinc-400 focus:outline-none")
                prop:value=move || value.get()
                on:input=move |ev| value.set(event_target_value(&ev))></textarea>
            {carets.map(|carets| view! {
                <div aria-hidden="true" data-testid="peer-carets" class=format!("{TEXT} pointer-events-none text-transparent")>{carets}</div>
            })}
        </div>
    }
}

/// The others' selections and carets over a copy of `text` (same font and wrapping as the
/// textarea, transparent text): a tinted span for a selection, a bar with the person's name for
/// a caret. Overlapping selections are drawn as carets only.
fn caret_overlay(text: &str, peers: &[Peer]) -> Vec<AnyView> {
    use crate::domain::collab::text::byte_index;
    let mut marks: Vec<(usize, usize, usize, &Peer)> = peers
        .iter()
        .filter_map(|peer| {
            let (_, anchor, head) = peer.caret.as_ref()?;
            let (a, h) = (byte_index(text, *anchor), byte_index(text, *head));
            Some((a.min(h), a.max(h), h, peer))
        })
        .collect();
    marks.sort_by_key(|m| (m.0, m.1));
    let mut parts: Vec<AnyView> = Vec::new();
    let mut at = 0;
    for (start, end, head, peer) in marks {
        let start = start.max(at);
        let end = end.max(start);
        parts.push(text[at..start].to_string().into_any());
        let caret = view! {
            <span class="relative" data-testid="peer-caret" data-name=peer.name.clone()>
                <span class="absolute -left-px top-0 h-[1.25em] w-0.5" style=format!("background:{}", peer.color)></span>
                <span class="absolute -top-4 left-0 whitespace-nowrap rounded px-1 font-sans text-[10px] leading-4 text-white" style=format!("background:{}", peer.color)>
                    {peer.name.clone()}
                </span>
            </span>
        };
        let selected = text[start..end].to_string();
        let tint = format!("background:{}33", peer.color);
        if head <= start {
            parts.push(caret.into_any());
            parts.push(view! { <span style=tint>{selected}</span> }.into_any());
        } else {
            parts.push(view! { <span style=tint>{selected}</span> }.into_any());
            parts.push(caret.into_any());
        }
        at = end;
    }
    parts.push(format!("{}\u{200b}", &text[at..]).into_any());
    parts
}

/// A broken prompt rule, in `locale` (the domain's message is English: what the public API says).
/// Shapes of JSON only the public API receives have no [`PromptProblem`] and stay English.
pub(crate) fn prompt_problem(locale: Locale, error: &FieldError) -> String {
    let Some(problem) = &error.problem else { return error.message.clone() };
    let reference = |r: &PromptReference| match &r.target {
        PromptTarget::Label(label) => td_string!(locale, prompts.problems.reference_label, name = r.name.as_str(), label = label.as_str()).to_string(),
        PromptTarget::Version(version) => td_string!(locale, prompts.problems.reference_version, name = r.name.as_str(), version).to_string(),
    };
    match problem {
        PromptProblem::NameEmpty => td_string!(locale, prompts.problems.name_empty).to_string(),
        PromptProblem::NameTooLong => td_string!(locale, prompts.problems.name_too_long).to_string(),
        PromptProblem::NameSpaces => td_string!(locale, prompts.problems.name_spaces).to_string(),
        PromptProblem::NameCharacter(c) => td_string!(locale, prompts.problems.name_character, character = format!("{c:?}")).to_string(),
        PromptProblem::NameDelimiter => td_string!(locale, prompts.problems.name_delimiter).to_string(),
        PromptProblem::NameEmptyFolder => td_string!(locale, prompts.problems.name_empty_folder).to_string(),
        PromptProblem::NameReserved(name) => td_string!(locale, prompts.problems.name_reserved, name = name.as_str()).to_string(),
        PromptProblem::LabelLength => td_string!(locale, prompts.problems.label_length).to_string(),
        PromptProblem::LabelCharacter(c) => td_string!(locale, prompts.problems.label_character, character = format!("{c:?}")).to_string(),
        PromptProblem::LatestIsAutomatic => td_string!(locale, prompts.problems.latest_is_automatic).to_string(),
        PromptProblem::TagLength => td_string!(locale, prompts.problems.tag_length).to_string(),
        PromptProblem::CommitMessageTooLong => td_string!(locale, prompts.problems.commit_message_too_long).to_string(),
        PromptProblem::NulCharacter => td_string!(locale, prompts.problems.nul_character).to_string(),
        PromptProblem::MessageNeedsRole => td_string!(locale, prompts.problems.message_needs_role).to_string(),
        PromptProblem::PlaceholderName => td_string!(locale, prompts.problems.placeholder_name).to_string(),
        PromptProblem::PlaceholderTwice(name) => td_string!(locale, prompts.problems.placeholder_twice, name = name.as_str()).to_string(),
        PromptProblem::VariableAndPlaceholder(name) => td_string!(locale, prompts.problems.variable_and_placeholder, name = name.as_str()).to_string(),
        PromptProblem::ConfigNotObject(kind) => {
            let kind = match *kind {
                "null" => td_string!(locale, prompts.problems.json_kinds.null),
                "a boolean" => td_string!(locale, prompts.problems.json_kinds.boolean),
                "a number" => td_string!(locale, prompts.problems.json_kinds.number),
                "a string" => td_string!(locale, prompts.problems.json_kinds.string),
                "an array" => td_string!(locale, prompts.problems.json_kinds.array),
                _ => td_string!(locale, prompts.problems.json_kinds.object),
            };
            td_string!(locale, prompts.problems.config_not_object, kind).to_string()
        }
        PromptProblem::ConfigNotJson { line, column, detail } => {
            td_string!(locale, prompts.problems.config_not_json, line, column, detail = detail.as_str()).to_string()
        }
        PromptProblem::TypeChanged { name, kind, new_kind } => {
            td_string!(locale, prompts.problems.type_changed, name = name.as_str(), kind = kind.as_str(), new_kind = new_kind.as_str()).to_string()
        }
        PromptProblem::LabelNotOnVersion { version, name, label } => {
            td_string!(locale, prompts.problems.label_not_on_version, version, name = name.as_str(), label = label.as_str()).to_string()
        }
        PromptProblem::Referenced(users) => {
            let users: Vec<String> = users
                .iter()
                .map(|(name, version)| td_string!(locale, prompts.problems.referenced_by, name = name.as_str(), version).to_string())
                .collect();
            td_string!(locale, prompts.problems.referenced, users = users.join(td_string!(locale, errors.list_separator))).to_string()
        }
        PromptProblem::ReferenceMissing { name, reference: r } => {
            td_string!(locale, prompts.problems.reference_missing, name = name.as_str(), reference = reference(r)).to_string()
        }
        PromptProblem::ReferenceNotText { name, reference: r } => {
            td_string!(locale, prompts.problems.reference_not_text, name = name.as_str(), reference = reference(r)).to_string()
        }
        PromptProblem::ReferenceCycle { name, reference: r, back_to } => {
            td_string!(locale, prompts.problems.reference_cycle, name = name.as_str(), reference = reference(r), back_to = back_to.as_str()).to_string()
        }
        PromptProblem::ReferenceTooDeep { name, reference: r, depth } => {
            td_string!(locale, prompts.problems.reference_too_deep, name = name.as_str(), reference = reference(r), depth).to_string()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::prompt_problem;
    use crate::domain::prompts::{FieldError, PromptProblem, PromptReference, PromptTarget};
    use crate::i18n::Locale;

    /// Every rule reads in English exactly as the public API says it, and has its Chinese.
    #[test]
    fn every_prompt_problem_is_worded_in_each_language() {
        let reference = |target| PromptReference { name: "greeting".into(), target };
        let all = [
            PromptProblem::NameEmpty,
            PromptProblem::NameTooLong,
            PromptProblem::NameSpaces,
            PromptProblem::NameCharacter('|'),
            PromptProblem::NameDelimiter,
            PromptProblem::NameEmptyFolder,
            PromptProblem::NameReserved("new".into()),
            PromptProblem::LabelLength,
            PromptProblem::LabelCharacter('A'),
            PromptProblem::LatestIsAutomatic,
            PromptProblem::TagLength,
            PromptProblem::CommitMessageTooLong,
            PromptProblem::NulCharacter,
            PromptProblem::MessageNeedsRole,
            PromptProblem::PlaceholderName,
            PromptProblem::PlaceholderTwice("history".into()),
            PromptProblem::VariableAndPlaceholder("history".into()),
            PromptProblem::ConfigNotObject("an array"),
            PromptProblem::ConfigNotObject("null"),
            PromptProblem::ConfigNotJson { line: 3, column: 17, detail: "expected `:`".into() },
            PromptProblem::TypeChanged { name: "support".into(), kind: "text".into(), new_kind: "chat".into() },
            PromptProblem::LabelNotOnVersion { version: 2, name: "support".into(), label: "staging".into() },
            PromptProblem::Referenced(vec![("a".into(), 1), ("b".into(), 4)]),
            PromptProblem::ReferenceMissing { name: "support".into(), reference: reference(PromptTarget::Label("production".into())) },
            PromptProblem::ReferenceNotText { name: "support".into(), reference: reference(PromptTarget::Version(3)) },
            PromptProblem::ReferenceCycle { name: "support".into(), reference: reference(PromptTarget::Version(3)), back_to: "support".into() },
            PromptProblem::ReferenceTooDeep { name: "support".into(), reference: reference(PromptTarget::Version(3)), depth: 5 },
        ];
        for problem in all {
            let error = FieldError::of("prompt", problem);
            assert_eq!(prompt_problem(Locale::en, &error), error.message, "{:?}", error.problem);
            assert_ne!(prompt_problem(Locale::zh, &error), error.message, "no Chinese for {:?}", error.problem);
        }
        let api_only = FieldError::new("prompt", "a text prompt is a string");
        assert_eq!(prompt_problem(Locale::zh, &api_only), "a text prompt is a string", "JSON shapes only the API sees stay English");
    }
}

/// Above a shared draft: the connection (saved, saving, offline), who else is in it and who is
/// typing, what happened to it (published, discarded, a refused change) and "Discard draft".
#[component]
fn DraftBar(shared: SharedDoc, project_id: String, name: RwSignal<String>) -> impl IntoView {
    let i18n = use_i18n();
    let locale = i18n.get_locale_untracked();
    let discard = ServerAction::<DiscardPromptDraft>::new();
    let confirming = RwSignal::new(false);
    let project_id = StoredValue::new(project_id);
    let notice = move || {
        shared.notice.get().and_then(|notice| match notice {
            Notice::Published { version, by, .. } => {
                let href = prompt_href(&project_id.get_value(), &name.get_untracked(), Some(&PromptTarget::Version(version)));
                Some(view! {
                    <p class="flex flex-wrap items-center gap-2" data-testid="draft-notice" data-kind="published">
                        <span>{td_string!(locale, prompts.collab.published, version = version, by = by).to_string()}</span>
                        <a class=BUTTON_LINK href=href>{td_string!(locale, prompts.collab.view_version, version = version).to_string()}</a>
                    </p>
                }.into_any())
            }
            Notice::Discarded { by, .. } => Some(view! {
                <p data-testid="draft-notice" data-kind="discarded">{td_string!(locale, prompts.collab.discarded, by = by).to_string()}</p>
            }.into_any()),
            Notice::Refused { reason } => Some(view! {
                <p data-testid="draft-notice" data-kind="refused">{match reason {
                    crate::domain::collab::Refusal::ReadOnly => td_string!(locale, prompts.collab.refused_read_only).to_string(),
                    crate::domain::collab::Refusal::DocumentFull => td_string!(locale, prompts.collab.refused_full).to_string(),
                }}</p>
            }.into_any()),
            _ => None,
        })
    };
    view! {
        <div class=format!("{CARD} space-y-2 px-3 py-2 text-sm") data-testid="draft-bar">
            <PresenceLine shared here=td_string!(locale, prompts.collab.here).to_string() />
            <p class="text-xs text-zinc-500 dark:text-zinc-400">{t_string!(i18n, prompts.collab.shared_hint)}</p>
            <Show when=move || !shared.can_write.get()>
                <p class="text-xs text-zinc-600 dark:text-zinc-300" data-testid="draft-read-only">{t_string!(i18n, prompts.collab.you_watch)}</p>
            </Show>
            <div class="text-sm text-zinc-800 dark:text-zinc-100">{notice}</div>
            <ClosedReason shared />
            <Show when=move || shared.can_write.get()>
                <div class="flex flex-wrap items-center gap-2">
                    <Show when=move || confirming.get() fallback=move || view! {
                        <button type="button" class=BUTTON_LINK data-testid="discard-draft" on:click=move |_| confirming.set(true)>
                            {t_string!(i18n, prompts.collab.discard)}
                        </button>
                    }>
                        <span class="text-xs">{t_string!(i18n, prompts.collab.discard_confirm)}</span>
                        <button type="button" class=BUTTON_SECONDARY data-testid="discard-draft-confirm" disabled=move || discard.pending().get()
                            on:click=move |_| {
                                confirming.set(false);
                                discard.dispatch(DiscardPromptDraft { project_id: project_id.get_value(), name: name.get_untracked() });
                            }>{t_string!(i18n, prompts.collab.discard_yes)}</button>
                        <button type="button" class=BUTTON_LINK on:click=move |_| confirming.set(false)>{t_string!(i18n, prompts.collab.keep)}</button>
                    </Show>
                </div>
            </Show>
        </div>
    }
}

/// A message id no other screen will make (ids only need to be unique within a draft).
fn new_key(id: u32) -> String {
    #[cfg(feature = "hydrate")]
    {
        format!("{:x}-{id}", (js_sys::Math::random() * 9.0e15) as u64)
    }
    #[cfg(not(feature = "hydrate"))]
    {
        format!("n-{id}")
    }
}
