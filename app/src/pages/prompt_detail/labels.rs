//! A version's labels: moving one here (confirmed with the diff against its current holder),
//! removing one, and the project's protected labels.

use super::*;

/// Labels of the selected version: remove one, move one here (with a confirmation showing the
/// diff against its current holder), and the project's protected labels.
#[component]
pub(super) fn Labels(project_id: String, history: StoredValue<PromptHistory>, version: PromptVersion, actions: Actions, can_write: bool) -> impl IntoView {
    let number = version.version;
    let (can_move_protected, protected) = history.with_value(|h| (h.can_move_protected, h.protected_labels.clone()));
    let is_protected = move |label: &str| history.with_value(|h| h.is_protected(label));
    let locked = move |label: &str| is_protected(label) && !can_move_protected;
    let i18n = use_i18n();
    let only_admins = t_string!(i18n, prompts.only_admins_move);
    let pid = StoredValue::new(project_id.clone());
    let name = StoredValue::new(version.name.clone());
    let chips = version.labels.iter().map(|label| {
        let label = label.clone();
        let removable = can_write && label != LATEST;
        let lock = is_protected(&label).then(|| view! { <span title=t_string!(i18n, prompts.labels.protected_label) data-testid="lock"><LockIcon /><span class="sr-only">{t_string!(i18n, prompts.labels.protected)}</span></span> });
        let remove = removable.then(|| {
            let l = label.clone();
            let disabled = locked(&label);
            view! {
                <button type="button" class="ml-1 text-zinc-500 hover:text-red-600 disabled:cursor-not-allowed disabled:opacity-40"
                    aria-label=t_string!(i18n, prompts.labels.remove_aria, label = label.clone()).to_string() data-testid="remove-label"
                    title=if disabled { only_admins.to_string() } else { t_string!(i18n, prompts.labels.remove_title, label = label.clone()).to_string() }
                    disabled=disabled
                    on:click=move |_| {
                        if confirm(&t_string!(i18n, prompts.labels.confirm_remove, label = l.clone(), version = number).to_string()) {
                            actions.set_label.dispatch(SetPromptLabel { project_id: pid.get_value(), name: name.get_value(), version: number, label: l.clone(), remove: true });
                        }
                    }>"×"</button>
            }
        });
        view! {
            <li class="inline-flex items-center gap-0.5 rounded-full border border-zinc-300 px-2 py-0.5 text-xs dark:border-zinc-700" data-testid="version-label" data-label=label.clone()>
                {lock}<span class="ml-0.5">{label.clone()}</span>{remove}
            </li>
        }
    }).collect_view();
    view! {
        <section class=format!("{CARD} mt-4 px-3 py-3") data-testid="labels">
            <h3 class="text-xs font-semibold uppercase tracking-wide text-zinc-500">{t_string!(i18n, prompts.labels.heading)}</h3>
            <p class=HINT>{t_string!(i18n, prompts.labels.hint)}</p>
            <ul class="mt-2 flex flex-wrap gap-1">{chips}</ul>
            <div class="mt-2"><ErrorAlert error=action_error(actions.set_label) /></div>
            {can_write.then(|| view! { <MoveLabel history version=version.clone() actions locked=Callback::new(move |l: String| locked(&l)) is_protected=Callback::new(move |l: String| is_protected(&l)) /> })}
            <ProtectedLabels project_id protected can_edit=can_move_protected actions />
        </section>
    }
}

/// "Move label here": production, staging, a label some version has, or a new one (checked as
/// typed with the server's rule). Protected labels are locked for Members.
#[component]
pub(super) fn MoveLabel(
    history: StoredValue<PromptHistory>,
    version: PromptVersion,
    actions: Actions,
    locked: Callback<String, bool>,
    is_protected: Callback<String, bool>,
) -> impl IntoView {
    let number = version.version;
    let i18n = use_i18n();
    let locale = i18n.get_locale_untracked();
    let mut choices: Vec<String> = vec![PRODUCTION.into(), "staging".into()];
    history.with_value(|h| {
        for v in &h.versions {
            for l in &v.labels {
                if !choices.contains(l) && l != LATEST {
                    choices.push(l.clone());
                }
            }
        }
    });
    choices.retain(|l| !version.has_label(l));
    let choice = RwSignal::new(choices.iter().find(|l| !locked.run((*l).clone())).cloned().unwrap_or_else(|| "__new".to_string()));
    let typed = RwSignal::new(String::new());
    let label = Memo::new(move |_| if choice.get() == "__new" { typed.get().trim().to_string() } else { choice.get() });
    let current = version.labels.clone();
    let problem = Memo::new(move |_| {
        let l = label.get();
        if l.is_empty() {
            return Some(td_string!(locale, prompts.labels.type_a_label).to_string());
        }
        if let Err(e) = check_assignable_labels(std::slice::from_ref(&l)) {
            return Some(e.message);
        }
        if current.contains(&l) {
            return Some(td_string!(locale, prompts.labels.already_has, version = number, label = l).to_string());
        }
        locked.run(l).then(|| td_string!(locale, prompts.only_admins_move).to_string())
    });
    let pending = RwSignal::new(None::<String>);
    Effect::new(move |_| {
        if let Some(Ok(_)) = actions.set_label.value().get() {
            pending.set(None);
        }
    });
    view! {
        <form class="mt-3 flex flex-wrap items-end gap-2" data-testid="move-label-form" on:submit=move |ev| {
            ev.prevent_default();
            if problem.get_untracked().is_none() {
                pending.set(Some(label.get_untracked()));
            }
        }>
            <div>
                <label class="block text-xs font-medium text-zinc-600 dark:text-zinc-400" for="move-label">{t_string!(i18n, prompts.labels.move_here)}</label>
                <select id="move-label" class=format!("{SELECT} mt-1") data-testid="move-label-select" prop:value=move || choice.get()
                    on:change=move |ev| choice.set(event_target_value(&ev))>
                    {choices.into_iter().map(|l| {
                        let disabled = locked.run(l.clone());
                        // An <option> holds text only: the lock is spelled out.
                        let shown = if is_protected.run(l.clone()) { t_string!(i18n, prompts.labels.option_protected, label = l.clone()).to_string() } else { l.clone() };
                        view! {
                            <option value=l.clone() disabled=disabled title=disabled.then_some(t_string!(i18n, prompts.only_admins_move))
                                selected=move || choice.get() == l>{shown}</option>
                        }
                    }).collect_view()}
                    <option value="__new" selected=move || choice.get() == "__new">{t_string!(i18n, prompts.labels.new_label_option)}</option>
                </select>
            </div>
            <Show when=move || choice.get() == "__new">
                <div>
                    <label class="block text-xs font-medium text-zinc-600 dark:text-zinc-400" for="new-label">{t_string!(i18n, prompts.labels.new_label)}</label>
                    <input id="new-label" class=format!("{INPUT} mt-1 w-44") placeholder=t_string!(i18n, prompts.labels.new_label_placeholder) data-testid="new-label" autocomplete="off"
                        prop:value=move || typed.get() on:input=move |ev| typed.set(event_target_value(&ev))
                        aria-invalid=move || problem.get().is_some().to_string() />
                </div>
            </Show>
            <button type="submit" class=BUTTON_SECONDARY data-testid="move-label" disabled=move || problem.get().is_some()>{t_string!(i18n, prompts.labels.move_button)}</button>
            {move || problem.get().filter(|_| choice.get() == "__new" && !typed.get().is_empty()).map(|p| view! {
                <p class="w-full text-xs text-red-700 dark:text-red-400" role="alert" data-testid="label-problem">{p}</p>
            })}
        </form>
        {move || pending.get().map(|label| view! { <MoveDialog history version=version.clone() label pending actions /> })}
    }
}

/// The confirmation of a label move: which version holds it now, and how that version differs
/// from this one.
#[component]
pub(super) fn MoveDialog(history: StoredValue<PromptHistory>, version: PromptVersion, label: String, pending: RwSignal<Option<String>>, actions: Actions) -> impl IntoView {
    let number = version.version;
    let holder = history.with_value(|h| h.holder(&label).cloned());
    let i18n = use_i18n();
    let holder_text = match &holder {
        Some(h) => t_string!(i18n, prompts.labels.holder, label = label.clone(), holder = h.version, version = number).to_string(),
        None => t_string!(i18n, prompts.labels.no_holder, label = label.clone()).to_string(),
    };
    let comparison = holder.filter(|h| h.version != number).map(|h| {
        let d = diff(&h.prompt, &h.config, &version.prompt, &version.config);
        view! { <PromptDiffView diff=d from=format!("v{}", h.version) to=format!("v{number}") /> }
    });
    let (project_id, name) = (version.project_id.clone(), version.name.clone());
    let l = label.clone();
    let confirm_move = move |_| {
        actions.set_label.dispatch(SetPromptLabel { project_id: project_id.clone(), name: name.clone(), version: number, label: l.clone(), remove: false });
    };
    view! {
        <div class="fixed inset-0 z-50 flex items-start justify-center overflow-y-auto bg-black/40 p-4 sm:p-10"
            on:keydown=move |ev| if ev.key() == "Escape" { pending.set(None) }>
            <div role="dialog" aria-modal="true" aria-labelledby="move-label-title" data-testid="move-label-dialog"
                class="w-full max-w-3xl rounded-lg border border-zinc-200 bg-white p-5 shadow-xl dark:border-zinc-800 dark:bg-zinc-950">
                <h2 id="move-label-title" class="text-lg font-semibold">{t_string!(i18n, prompts.labels.move_title, label = label.clone(), version = number).to_string()}</h2>
                <p class="mt-1 text-sm text-zinc-600 dark:text-zinc-300" data-testid="move-label-holder">{holder_text}</p>
                <div class="mt-3 max-h-[50vh] overflow-y-auto">{comparison}</div>
                <div class="mt-2"><ErrorAlert error=action_error(actions.set_label) /></div>
                <div class="mt-4 flex justify-end gap-2">
                    <button type="button" class=BUTTON_SECONDARY data-testid="cancel-move" on:click=move |_| pending.set(None)>{t_string!(i18n, prompts.cancel)}</button>
                    <button type="button" class=BUTTON_PRIMARY data-testid="confirm-move" autofocus=true
                        disabled=move || actions.set_label.pending().get() on:click=confirm_move>{t_string!(i18n, prompts.labels.confirm_move, label = label.clone()).to_string()}</button>
                </div>
            </div>
        </div>
    }
}

/// The project's protected labels: shown to everyone, edited by Admins and Owners.
#[component]
pub(super) fn ProtectedLabels(project_id: String, protected: Vec<String>, can_edit: bool, actions: Actions) -> impl IntoView {
    let draft = RwSignal::new(protected.join(", "));
    let i18n = use_i18n();
    let shown = if protected.is_empty() { t_string!(i18n, prompts.none).to_string() } else { protected.join(", ") };
    view! {
        <details class="mt-3 text-sm" data-testid="protected-labels">
            <summary class="cursor-pointer text-xs text-zinc-500">
                <span class="inline-flex items-center gap-1"><LockIcon />{t_string!(i18n, prompts.labels.protected_in_project, labels = shown).to_string()}</span>
            </summary>
            <p class=HINT>{t_string!(i18n, prompts.labels.protected_hint)}</p>
            {if can_edit {
                view! {
                    <form class="mt-2 flex flex-wrap items-end gap-2" on:submit=move |ev| {
                        ev.prevent_default();
                        let labels = draft.get_untracked().split(',').map(|l| l.trim().to_string()).filter(|l| !l.is_empty()).collect();
                        actions.protect.dispatch(SetProtectedPromptLabels { project_id: project_id.clone(), labels });
                    }>
                        <div>
                            <label class="block text-xs font-medium text-zinc-600 dark:text-zinc-400" for="protected-input">{t_string!(i18n, prompts.labels.comma_separated)}</label>
                            <input id="protected-input" class=format!("{INPUT} mt-1 w-72") data-testid="protected-input" placeholder="production, staging"
                                prop:value=move || draft.get() on:input=move |ev| draft.set(event_target_value(&ev)) />
                        </div>
                        <button type="submit" class=BUTTON_SECONDARY data-testid="save-protected" disabled=move || actions.protect.pending().get()>{t_string!(i18n, prompts.save)}</button>
                    </form>
                    <div class="mt-2"><ErrorAlert error=action_error(actions.protect) /></div>
                }.into_any()
            } else {
                view! { <p class="mt-1 text-xs text-zinc-500">{t_string!(i18n, prompts.labels.admins_choose)}</p> }.into_any()
            }}
        </details>
    }
}
