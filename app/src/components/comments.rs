//! Comments with mentions (#20): `Comments`, an object's thread with its composer, and
//! `MentionsBell`, the top bar's inbox of mentions.
//!
//! A comment is markdown rendered as safely as LLM output (`content::comment_markdown`: no raw
//! HTML, only web and mail links) with its mentions (`@[Name](user:ID)`) shown as a highlighted
//! `@Name`. The composer offers the project's members after `@` + letters (↑↓ to move, Enter or
//! Tab to choose, Escape to close) and inserts the token; Ctrl/Cmd+Enter sends. Viewers read
//! threads without a composer — the server refuses their writes anyway.
//!
//! Everything here loads in the browser (`LocalResource`, read without a boundary): the thread
//! sits below pages' own `Transition`s, and the bell in the shell, so neither may take hydration
//! ids (ARCHITECTURE.md, "Nothing that takes a hydration id is made inside a `Suspend`"). A
//! person outside the project (the public share page) sees nothing of either.

use leptos::html;
use leptos::prelude::*;

use crate::components::content::comment_markdown;
use crate::components::on_demand::{on_demand, page_tool, Tool};
use crate::components::session::use_session;
use crate::components::ui::*;
use crate::domain::comments::{mention_query, mention_token, CommentEntry, InboxEntry, MentionCandidate, ObjectType, MAX_CONTENT_CHARS};
use crate::domain::Action;
use crate::error::AppError;
use crate::i18n::*;
use crate::server_fns::comments::{
    list_comment_members, list_comments, list_mentions, unread_mention_count, CreateComment, DeleteComment, EditComment, MarkMentionsRead,
};

/// People the mention list shows at most.
const MENTION_CHOICES: usize = 8;

type Members = LocalResource<Result<Vec<MentionCandidate>, AppError>>;

/// The thread of one object with, for those who may write, a composer. Renders nothing for
/// someone who is not a member of the project.
///
/// The thread's code (its composer, the `@` list, the server functions' clients) is a page tool
/// (`components::on_demand`) fetched right after hydration: threads show open on the trace,
/// observation, session and prompt pages, but they read their comments in the browser anyway, so
/// the page's first visit need not carry them. Server and browser both render the placeholder
/// first (an effect, which runs after hydration, asks for the thread).
#[component]
pub fn Comments(#[prop(into)] project_id: String, object_type: ObjectType, #[prop(into)] object_id: Signal<String>) -> impl IntoView {
    let member = use_session().with(|s| s.and_then(|s| s.project(&project_id)).is_some());
    if !member {
        return ().into_any();
    }
    let i18n = use_i18n();
    let wanted = RwSignal::new(false);
    Effect::new(move |_| wanted.set(true));
    let project = StoredValue::new(project_id);
    let placeholder = move || {
        view! {
            <section class="space-y-3" aria-busy="true">
                <h2 class="flex items-center gap-2 text-sm font-semibold">{t_string!(i18n, comments.title)}</h2>
                <Skeleton label=t_string!(i18n, comments.loading) />
            </section>
        }
        .into_any()
    };
    (move || {
        if wanted.get() {
            let tool = Tool::Comments { project_id: project.get_value(), object_type, object_id };
            crate::components::on_demand::on_demand_or(move || page_tool(tool), placeholder).into_any()
        } else {
            placeholder()
        }
    })
    .into_any()
}

/// The thread itself (`Tool::Comments`, loaded on demand).
#[component]
pub(crate) fn CommentThread(project_id: String, object_type: ObjectType, object_id: Signal<String>) -> impl IntoView {
    let standing = use_session().with(|s| s.and_then(|s| s.project(&project_id)).map(|(_, p)| p.can(Action::WriteScores)));
    let Some(can_write) = standing else { return ().into_any() };
    let i18n = use_i18n();
    let project = StoredValue::new(project_id);
    let thread = LocalResource::new(move || list_comments(project.get_value(), object_type, object_id.get()));
    // The members are fetched the first time someone types `@`.
    let wanted_members = RwSignal::new(false);
    let members: Members = LocalResource::new(move || {
        let (wanted, project) = (wanted_members.get(), project.get_value());
        async move {
            if wanted {
                list_comment_members(project).await
            } else {
                Ok(Vec::new())
            }
        }
    });
    let create = ServerAction::<CreateComment>::new();
    let edit = ServerAction::<EditComment>::new();
    let delete = ServerAction::<DeleteComment>::new();
    let draft = RwSignal::new(String::new());
    let editing = RwSignal::new(None::<String>);
    // Whatever changed, the thread is read again (someone else may have written meanwhile).
    Effect::watch(
        move || (create.version().get(), edit.version().get(), delete.version().get()),
        move |_, _, _| thread.refetch(),
        false,
    );
    Effect::watch(
        move || create.value().with(|v| matches!(v, Some(Ok(_)))),
        move |created, _, _| {
            if *created {
                draft.set(String::new());
            }
        },
        false,
    );
    Effect::watch(
        move || edit.value().with(|v| matches!(v, Some(Ok(_)))),
        move |saved, _, _| {
            if *saved {
                editing.set(None);
            }
        },
        false,
    );
    let send = Callback::new(move |content: String| {
        create.dispatch(CreateComment { project_id: project.get_value(), object_type, object_id: object_id.get_untracked(), content });
    });
    let count = move || thread.try_get().flatten().and_then(|t| t.ok()).map(|t| t.len()).filter(|n| *n > 0);
    let heading_id = format!("comments-{}", object_type.as_str().to_lowercase());
    let labelled_by = heading_id.clone();
    view! {
        <section class="space-y-3" data-testid="comments" data-object-type=object_type.as_str() aria-labelledby=labelled_by>
            <h2 id=heading_id class="flex items-center gap-2 text-sm font-semibold">
                {t_string!(i18n, comments.title)}
                {move || count().map(|n| view! { <span class="rounded-full bg-zinc-100 px-1.5 text-xs font-medium text-zinc-600 dark:bg-zinc-800 dark:text-zinc-300" data-testid="comment-count">{n}</span> })}
            </h2>
            {move || match thread.try_get().flatten() {
                None => view! { <Skeleton label=t_string!(i18n, comments.loading) /> }.into_any(),
                Some(Err(error)) => view! { <LoadError error /> }.into_any(),
                Some(Ok(entries)) if entries.is_empty() => view! {
                    <p class="text-sm text-zinc-500 dark:text-zinc-400" data-testid="comments-empty">{t_string!(i18n, comments.empty)}</p>
                }.into_any(),
                Some(Ok(entries)) => view! {
                    <ol class="space-y-3" data-testid="comment-thread">
                        {entries.into_iter().map(|entry| view! {
                            <Entry entry project editing edit delete members wanted_members />
                        }).collect_view()}
                    </ol>
                }.into_any(),
            }}
            {if can_write {
                view! {
                    <Composer text=draft members wanted_members pending=create.pending() error=action_error(create)
                        submit_label=t_string!(i18n, comments.post) on_submit=send test_id="comment-composer" />
                }.into_any()
            } else {
                view! { <p class="text-xs text-zinc-500 dark:text-zinc-400" data-testid="comments-read-only">{t_string!(i18n, comments.read_only)}</p> }.into_any()
            }}
        </section>
    }
    .into_any()
}

/// One comment: author, time, content; edit and delete for those who may.
#[component]
fn Entry(
    entry: CommentEntry,
    project: StoredValue<String>,
    editing: RwSignal<Option<String>>,
    edit: ServerAction<EditComment>,
    delete: ServerAction<DeleteComment>,
    members: Members,
    wanted_members: RwSignal<bool>,
) -> impl IntoView {
    let i18n = use_i18n();
    let locale = i18n.get_locale_untracked();
    let CommentEntry { comment, author_name, can_edit, can_delete } = entry;
    let id = StoredValue::new(comment.id.clone());
    let author = author_name.unwrap_or_else(|| td_string!(locale, comments.author_unknown).to_string());
    let edited = (comment.updated_at - comment.created_at).num_seconds() >= 1;
    let when = relative_time(comment.created_at, chrono::Utc::now());
    let content = StoredValue::new(comment.content.clone());
    let is_editing = move || editing.with(|e| e.as_deref() == Some(id.get_value().as_str()));
    let confirming = RwSignal::new(false);
    let text = RwSignal::new(String::new());
    let save = Callback::new(move |content: String| {
        edit.dispatch(EditComment { project_id: project.get_value(), comment_id: id.get_value(), content });
    });
    let cancel = Callback::new(move |()| editing.set(None));
    view! {
        <li class="rounded-md border border-zinc-200 px-3 py-2 dark:border-zinc-800" data-testid="comment" data-comment-id=comment.id.clone()>
            <div class="flex flex-wrap items-baseline gap-x-2 text-xs text-zinc-500 dark:text-zinc-400">
                <span class="font-medium text-zinc-800 dark:text-zinc-200" translate="no" data-testid="comment-author">{author}</span>
                <span title=timestamp(comment.created_at)>{when}</span>
                {edited.then(|| view! { <span title=timestamp(comment.updated_at)>{t_string!(i18n, comments.edited)}</span> })}
                <span class="ml-auto flex gap-3">
                    {can_edit.then(|| view! {
                        <button type="button" class=BUTTON_LINK data-testid="comment-edit" on:click=move |_| {
                            text.set(content.get_value());
                            editing.set(Some(id.get_value()));
                        }>{t_string!(i18n, comments.edit)}</button>
                    })}
                    {can_delete.then(|| view! {
                        <button type="button" class="text-sm font-medium text-red-600 hover:underline dark:text-red-400" data-testid="comment-delete"
                            on:click=move |_| confirming.set(true)>{t_string!(i18n, comments.delete)}</button>
                    })}
                </span>
            </div>
            <Show when=move || confirming.get()>
                <div class="mt-2 flex flex-wrap items-center gap-2 rounded bg-red-50 px-2 py-1.5 text-sm dark:bg-red-950" role="alert">
                    <span>{t_string!(i18n, comments.delete_confirm)}</span>
                    <button type="button" class=BUTTON_DANGER data-testid="comment-delete-confirm" disabled=move || delete.pending().get()
                        on:click=move |_| { delete.dispatch(DeleteComment { project_id: project.get_value(), comment_id: id.get_value() }); }>
                        {t_string!(i18n, comments.delete)}
                    </button>
                    <button type="button" class=BUTTON_SECONDARY on:click=move |_| confirming.set(false)>{t_string!(i18n, comments.cancel)}</button>
                    <ErrorAlert error=action_error(delete) />
                </div>
            </Show>
            {move || if is_editing() {
                view! {
                    <div class="mt-2">
                        <Composer text members wanted_members pending=edit.pending() error=action_error(edit)
                            submit_label=t_string!(i18n, comments.save) on_submit=save on_cancel=cancel test_id="comment-edit-composer" />
                    </div>
                }.into_any()
            } else {
                // People's words: never machine-translated.
                view! { <div class="mt-1 text-sm" translate="no" data-testid="comment-content">{content.with_value(|c| comment_markdown(c, locale))}</div> }.into_any()
            }}
        </li>
    }
}

/// The byte offset in `text` of its `units`-th UTF-16 code unit (what a text area's selection
/// counts in).
#[cfg_attr(not(feature = "hydrate"), allow(dead_code))]
fn byte_at_utf16(text: &str, units: usize) -> usize {
    let mut seen = 0;
    for (at, c) in text.char_indices() {
        if seen >= units {
            return at;
        }
        seen += c.len_utf16();
    }
    text.len()
}

/// Where the caret is in the text area, as a byte offset of `text` (its end outside a browser).
fn caret(area: NodeRef<html::Textarea>, text: &str) -> usize {
    #[cfg(feature = "hydrate")]
    if let Some(Ok(Some(units))) = area.get_untracked().map(|a| a.selection_start()) {
        return byte_at_utf16(text, units as usize);
    }
    let _ = area;
    text.len()
}

/// A text area for a comment, with the `@` list over the project's members.
#[component]
fn Composer(
    text: RwSignal<String>,
    members: Members,
    wanted_members: RwSignal<bool>,
    #[prop(into)] pending: Signal<bool>,
    #[prop(into)] error: Signal<Option<AppError>>,
    submit_label: &'static str,
    on_submit: Callback<String>,
    #[prop(optional)] on_cancel: Option<Callback<()>>,
    test_id: &'static str,
) -> impl IntoView {
    let i18n = use_i18n();
    let area = NodeRef::<html::Textarea>::new();
    // The `@query` being typed: the byte offset of its `@` and the letters after it.
    let query = RwSignal::new(None::<(usize, String)>);
    let highlighted = RwSignal::new(0usize);
    let choices = Memo::new(move |_| {
        let Some((_, typed)) = query.get() else { return Vec::new() };
        members
            .try_with(|m| match m {
                Some(Ok(people)) => people.iter().filter(|p| p.matches(&typed)).take(MENTION_CHOICES).cloned().collect(),
                _ => Vec::new(),
            })
            .unwrap_or_default()
    });
    let follow_caret = move || {
        let value = text.get_untracked();
        let at = caret(area, &value);
        let found = value.get(..at).and_then(mention_query).map(|(at, typed)| (at, typed.to_string()));
        if found.is_some() {
            wanted_members.set(true);
        }
        // A different query starts again at the first person.
        if query.with_untracked(|q| q.as_ref().map(|(_, t)| t.as_str() != found.as_ref().map_or("", |(_, f)| f.as_str())).unwrap_or(true)) {
            highlighted.set(0);
        }
        query.set(found);
    };
    let choose = move |person: MentionCandidate| {
        let Some((at, _)) = query.get_untracked() else { return };
        let value = text.get_untracked();
        let end = caret(area, &value).max(at);
        let token = mention_token(&person.name, &person.id);
        let next = format!("{}{token} {}", &value[..at], &value[end..]);
        let _cursor = at + token.len() + 1;
        text.set(next.clone());
        query.set(None);
        #[cfg(feature = "hydrate")]
        if let Some(element) = area.get_untracked() {
            element.set_value(&next);
            let position = next[.._cursor].encode_utf16().count() as u32;
            let _ = element.set_selection_range(position, position);
            let _ = element.focus();
        }
    };
    let submit = move || {
        let value = text.get_untracked();
        if !value.trim().is_empty() && !pending.get_untracked() {
            on_submit.run(value);
        }
    };
    let chars = move || text.with(|t| t.trim().chars().count());
    let too_long = move || chars() > MAX_CONTENT_CHARS;
    let list_open = move || query.with(Option::is_some) && !choices.with(Vec::is_empty);
    view! {
        <form class="space-y-2" data-testid=test_id on:submit=move |ev| { ev.prevent_default(); submit(); }>
            <div class="relative">
                <textarea node_ref=area class=format!("{INPUT} min-h-[4.5rem] resize-y") rows="3" data-testid="comment-input"
                    aria-label=t_string!(i18n, comments.title) placeholder=t_string!(i18n, comments.placeholder)
                    aria-invalid=move || too_long().to_string()
                    aria-autocomplete="list" aria-expanded=move || list_open().to_string()
                    prop:value=move || text.get()
                    on:input=move |ev| { text.set(event_target_value(&ev)); follow_caret(); }
                    on:click=move |_| follow_caret()
                    on:keyup=move |ev| if matches!(ev.key().as_str(), "ArrowLeft" | "ArrowRight" | "Home" | "End") { follow_caret() }
                    on:blur=move |_| query.set(None)
                    on:keydown=move |ev| {
                        let key = ev.key();
                        if list_open() {
                            let count = choices.with_untracked(Vec::len);
                            match key.as_str() {
                                "ArrowDown" => { ev.prevent_default(); highlighted.update(|h| *h = (*h + 1) % count); return; }
                                "ArrowUp" => { ev.prevent_default(); highlighted.update(|h| *h = (*h + count - 1) % count); return; }
                                "Enter" | "Tab" if !ev.ctrl_key() && !ev.meta_key() => {
                                    ev.prevent_default();
                                    let index = highlighted.get_untracked().min(count - 1);
                                    if let Some(person) = choices.with_untracked(|c| c.get(index).cloned()) {
                                        choose(person);
                                    }
                                    return;
                                }
                                "Escape" => { ev.prevent_default(); ev.stop_propagation(); query.set(None); return; }
                                _ => {}
                            }
                        }
                        if key == "Enter" && (ev.ctrl_key() || ev.meta_key()) {
                            ev.prevent_default();
                            submit();
                        }
                    }></textarea>
                <Show when=list_open>
                    <ul class="absolute left-0 top-full z-30 mt-1 w-64 max-w-full overflow-hidden rounded-md border border-zinc-200 bg-white py-1 text-sm shadow-lg dark:border-zinc-700 dark:bg-zinc-900"
                        role="listbox" aria-label=t_string!(i18n, comments.mention_list) data-testid="mention-list">
                        {move || choices.get().into_iter().enumerate().map(|(index, person)| {
                            let chosen = person.clone();
                            let selected = move || highlighted.get() == index;
                            view! {
                                <li role="option" aria-selected=move || selected().to_string() data-testid="mention-option"
                                    class=move || if selected() { "cursor-pointer bg-indigo-50 px-3 py-1.5 dark:bg-indigo-950" } else { "cursor-pointer px-3 py-1.5 hover:bg-zinc-100 dark:hover:bg-zinc-800" }
                                    // Before the text area's blur, which would close the list.
                                    on:mousedown=move |ev| { ev.prevent_default(); choose(chosen.clone()); }
                                    on:mouseenter=move |_| highlighted.set(index)>
                                    <span class="block truncate font-medium" translate="no">{person.name.clone()}</span>
                                    <span class="block truncate text-xs text-zinc-500 dark:text-zinc-400" translate="no">{person.email.clone()}</span>
                                </li>
                            }
                        }).collect_view()}
                    </ul>
                </Show>
            </div>
            <div class="flex flex-wrap items-center gap-2">
                <button type="submit" class=BUTTON_PRIMARY data-testid="comment-submit"
                    disabled=move || pending.get() || chars() == 0 || too_long()>{submit_label}</button>
                {on_cancel.map(|cancel| view! {
                    <button type="button" class=BUTTON_SECONDARY on:click=move |_| cancel.run(())>{t_string!(i18n, comments.cancel)}</button>
                })}
                <span class="hidden text-xs text-zinc-400 sm:inline">{t_string!(i18n, comments.submit_hint)}</span>
                <span class=move || if too_long() { "ml-auto text-xs font-medium text-red-600 dark:text-red-400" } else { "ml-auto text-xs text-zinc-400" }
                    data-testid="comment-length">
                    {move || t_string!(i18n, comments.characters, count = chars(), max = MAX_CONTENT_CHARS).to_string()}
                </span>
            </div>
            <ErrorAlert error />
        </form>
    }
}

/// The object a mention is on, as a phrase ("a trace").
fn object_phrase(locale: Locale, object_type: ObjectType) -> &'static str {
    match object_type {
        ObjectType::Trace => td_string!(locale, comments.objects.trace),
        ObjectType::Observation => td_string!(locale, comments.objects.observation),
        ObjectType::Session => td_string!(locale, comments.objects.session),
        ObjectType::Prompt => td_string!(locale, comments.objects.prompt),
    }
}

/// The top bar's inbox: a bell with the unread count (read again on every navigation and each
/// minute) and a panel of the newest mentions — who, where, an excerpt, the link. Following one
/// marks it read; "Mark all read" does the rest. Nothing when signed out.
#[component]
pub fn MentionsBell() -> impl IntoView {
    let session = use_session();
    view! { <Show when=move || session.with(|s| s.is_some())><Bell /></Show> }
}

#[component]
fn Bell() -> impl IntoView {
    let i18n = use_i18n();
    let location = leptos_router::hooks::use_location();
    let open = RwSignal::new(false);
    let mark = ServerAction::<MarkMentionsRead>::new();
    let count = LocalResource::new(move || {
        location.pathname.track();
        mark.version().track();
        unread_mention_count()
    });
    #[cfg(feature = "hydrate")]
    if let Ok(handle) = set_interval_with_handle(move || count.refetch(), std::time::Duration::from_secs(60)) {
        on_cleanup(move || handle.clear());
    }
    let unread = Signal::derive(move || count.try_get().flatten().and_then(Result::ok).unwrap_or(0));
    let label = move || t_string!(i18n, comments.inbox.open, count = unread.get()).to_string();
    view! {
        <Dropdown
            test_id="inbox-button"
            button_class="relative inline-flex h-8 w-8 items-center justify-center rounded-md text-zinc-600 hover:bg-zinc-100 dark:text-zinc-300 dark:hover:bg-zinc-800"
            // Under the bell from `sm` up; on a phone, across the window under the top bar (the bell
            // sits too far left for a panel this wide to open from it).
            menu_class="right-0 w-80 py-1 max-sm:fixed max-sm:inset-x-2 max-sm:top-12 max-sm:mt-0 max-sm:w-auto"
            role="dialog"
            open=open
            menu_test_id="inbox"
            trigger=move || view! {
                <span class="sr-only">{label}</span>
                <svg class="h-5 w-5" viewBox="0 0 24 24" fill="none" stroke="currentColor" stroke-width="2" stroke-linecap="round" stroke-linejoin="round" aria-hidden="true">
                    <path d="M18 8a6 6 0 0 0-12 0c0 7-3 9-3 9h18s-3-2-3-9" /><path d="M13.73 21a2 2 0 0 1-3.46 0" />
                </svg>
                {move || (unread.get() > 0).then(|| view! {
                    <span class="absolute -right-0.5 -top-0.5 min-w-[1.1rem] rounded-full bg-red-600 px-1 text-center text-[10px] font-semibold leading-4 text-white" data-testid="inbox-unread">
                        {if unread.get() > 99 { "99+".to_string() } else { unread.get().to_string() }}
                    </span>
                })}
            }
        >
            // The panel's code (the list, its rows, their server function) comes on first open.
            {on_demand(move || page_tool(Tool::Inbox { mark, unread }))}
        </Dropdown>
    }
}

/// The inbox's panel (made through [`page_tool`] when the bell opens): read each time it opens,
/// and after marking.
#[component]
pub fn InboxPanel(mark: ServerAction<MarkMentionsRead>, unread: Signal<i64>) -> impl IntoView {
    let i18n = use_i18n();
    let locale = i18n.get_locale_untracked();
    let inbox = LocalResource::new(move || {
        mark.version().track();
        async move { list_mentions(None, 0).await.map(Some) }
    });
    view! {
            <div class="flex items-center justify-between gap-2 border-b border-zinc-100 px-3 py-2 dark:border-zinc-800">
            <p class="font-semibold">{t_string!(i18n, comments.inbox.title)}</p>
            <button type="button" class=BUTTON_LINK data-testid="inbox-mark-all" disabled=move || unread.get() == 0 || mark.pending().get()
                on:click=move |_| { mark.dispatch(MarkMentionsRead { project_id: None, comment_id: None }); }>
                {t_string!(i18n, comments.inbox.mark_all_read)}
            </button>
        </div>
        <div class="max-h-[70vh] overflow-y-auto">
            {move || match inbox.try_get().flatten() {
                None | Some(Ok(None)) => view! { <Skeleton label=t_string!(i18n, comments.inbox.loading) /> }.into_any(),
                Some(Err(error)) => view! { <div class="p-3"><LoadError error /></div> }.into_any(),
                Some(Ok(Some(inbox))) if inbox.entries.is_empty() => view! {
                    <p class="px-3 py-4 text-zinc-500 dark:text-zinc-400" data-testid="inbox-empty">{t_string!(i18n, comments.inbox.empty)}</p>
                }.into_any(),
                Some(Ok(Some(inbox))) => {
                    let more = inbox.more.then(|| view! {
                        <p class="px-3 py-2 text-xs text-zinc-500">{td_string!(locale, comments.inbox.more, count = inbox.entries.len()).to_string()}</p>
                    });
                    view! {
                        <ul>{inbox.entries.into_iter().map(|entry| view! { <InboxRow entry mark /> }).collect_view()}</ul>
                        {more}
                    }.into_any()
                }
            }}
        </div>
    }
}

#[component]
fn InboxRow(entry: InboxEntry, mark: ServerAction<MarkMentionsRead>) -> impl IntoView {
    let i18n = use_i18n();
    let locale = i18n.get_locale_untracked();
    let author = entry.author_name.clone().unwrap_or_else(|| td_string!(locale, comments.author_unknown).to_string());
    let headline = td_string!(locale, comments.inbox.mentioned_you, author = author.as_str(), object = object_phrase(locale, entry.object_type)).to_string();
    let (project_id, comment_id, read) = (entry.project_id.clone(), entry.comment_id.clone(), entry.read);
    let class = if read {
        "block border-b border-zinc-100 px-3 py-2 hover:bg-zinc-100 last:border-b-0 dark:border-zinc-800 dark:hover:bg-zinc-800"
    } else {
        "block border-b border-zinc-100 bg-indigo-50/60 px-3 py-2 hover:bg-zinc-100 last:border-b-0 dark:border-zinc-800 dark:bg-indigo-950/40 dark:hover:bg-zinc-800"
    };
    view! {
        <li>
            <a href=entry.href.clone() class=class data-testid="inbox-entry" data-unread=(!read).to_string()
                on:click=move |_| if !read {
                    mark.dispatch(MarkMentionsRead { project_id: Some(project_id.clone()), comment_id: Some(comment_id.clone()) });
                }>
                <span class="flex items-start gap-2">
                    {(!read).then(|| view! {
                        <span class="mt-1.5 h-2 w-2 shrink-0 rounded-full bg-indigo-500" data-testid="inbox-unread-dot" title=t_string!(i18n, comments.inbox.unread)></span>
                    })}
                    <span class="min-w-0 flex-1">
                        <span class={if read { "block text-sm" } else { "block text-sm font-semibold" }}>{headline}</span>
                        <span class="mt-0.5 block break-words text-xs text-zinc-600 dark:text-zinc-300" translate="no" data-testid="inbox-excerpt">{entry.excerpt.clone()}</span>
                        <span class="mt-0.5 block truncate text-xs text-zinc-400" title=timestamp(entry.created_at)>
                            <span translate="no">{entry.project_name.clone()}</span>" · "{relative_time(entry.created_at, chrono::Utc::now())}
                        </span>
                    </span>
                </span>
            </a>
        </li>
    }
}

#[cfg(test)]
mod tests {
    use super::byte_at_utf16;

    #[test]
    fn a_text_areas_caret_becomes_a_byte_offset() {
        let text = "a😀好@b";
        // UTF-16: a=1, 😀=2, 好=1, @=1.
        assert_eq!(byte_at_utf16(text, 0), 0);
        assert_eq!(byte_at_utf16(text, 1), 1);
        assert_eq!(byte_at_utf16(text, 3), 5);
        assert_eq!(byte_at_utf16(text, 4), 8);
        assert_eq!(&text[byte_at_utf16(text, 4)..], "@b");
        assert_eq!(byte_at_utf16(text, 99), text.len());
    }
}
