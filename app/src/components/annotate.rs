//! The "Annotate" form (#20): the project's score configs as compact controls — a number field
//! (with a slider when the range is bounded), category buttons, a true/false pair — and a
//! comment each. Saving writes the person's own ANNOTATION score for that config and target
//! (`server_fns::annotation::save_annotation`); everyone's annotations are listed under each
//! config, and Admins may remove anyone's.
//!
//! Used on a trace, an observation and a session, and by the review flow, which turns on the
//! keyboard: digits choose the active config's n-th category, ↑/↓ (or j/k) move between configs.

use leptos::prelude::*;

use crate::components::ui::*;
use crate::domain::annotation::{AnnotationForm, AnnotationInput, Target};
use crate::domain::score_views::{Score, ScoreConfig};
use crate::domain::{ScoreDataType, ScoreSource};
use crate::i18n::*;
use crate::server_fns::annotation::{get_annotation_form, DeleteAnnotation, SaveAnnotation};

/// A score's value as a chip or a list shows it.
pub fn score_value(score: &Score) -> String {
    match (&score.string_value, score.value) {
        (Some(text), _) => text.clone(),
        (None, Some(v)) if v.fract() == 0.0 => format!("{v:.0}"),
        (None, Some(v)) => format!("{v:.3}"),
        (None, None) => "—".into(),
    }
}

/// Where a score came from, in the page's language.
pub fn source_label(locale: Locale, source: ScoreSource) -> &'static str {
    match source {
        ScoreSource::Api => td_string!(locale, annotation.sources.api),
        ScoreSource::Annotation => td_string!(locale, annotation.sources.annotation),
        ScoreSource::Eval => td_string!(locale, annotation.sources.eval),
    }
}

/// What a chip says on hover: the source, the author when a person wrote it, the comment.
pub fn score_tooltip(locale: Locale, score: &Score, author: Option<&str>) -> String {
    let mut parts = vec![source_label(locale, score.source).to_string()];
    if let Some(author) = author {
        parts.push(td_string!(locale, annotation.by_author, name = author).to_string());
    }
    let mut text = parts.join(" · ");
    if let Some(comment) = score.comment.as_deref().filter(|c| !c.is_empty()) {
        text.push_str("\n");
        text.push_str(comment);
    }
    text
}

/// The annotation form of one target. `configs` narrows to those (a queue's); `keyboard` turns
/// on the shortcuts; `on_change` runs after each save or removal.
#[component]
pub fn AnnotatePanel(
    project_id: String,
    #[prop(into)] target: Signal<Target>,
    #[prop(optional)] queue_id: Option<String>,
    #[prop(optional)] configs: Option<Vec<String>>,
    #[prop(optional)] keyboard: bool,
    #[prop(optional)] on_change: Option<Callback<()>>,
) -> impl IntoView {
    let i18n = use_i18n();
    let save = ServerAction::<SaveAnnotation>::new();
    let remove = ServerAction::<DeleteAnnotation>::new();
    let pid = project_id.clone();
    let form = LocalResource::new(move || {
        // Reload after every save and removal.
        save.version().get();
        remove.version().get();
        get_annotation_form(pid.clone(), target.get())
    });
    Effect::new(move |_| {
        let changed = matches!(save.value().get(), Some(Ok(_))) || matches!(remove.value().get(), Some(Ok(_)));
        if changed {
            if let Some(callback) = on_change {
                callback.run(());
            }
        }
    });
    let only = StoredValue::new(configs);
    let active = RwSignal::new(0usize);
    // A new target starts again at the first config.
    Effect::new(move |_| {
        target.track();
        active.set(0);
    });
    let context = StoredValue::new((project_id, queue_id));
    let shown = move |form: &AnnotationForm| -> Vec<ScoreConfig> {
        only.with_value(|only| match only {
            Some(ids) => ids.iter().filter_map(|id| form.configs.iter().find(|c| &c.id == id).cloned()).collect(),
            None => form.configs.clone(),
        })
    };
    let send = move |config_id: String, value: serde_json::Value, comment: Option<String>| {
        let (project_id, queue_id) = context.get_value();
        save.dispatch(SaveAnnotation {
            project_id,
            input: AnnotationInput { target: target.get_untracked(), config_id, value, comment, queue_id, score_id: None },
        });
    };

    // The keys exist in the browser only (the server renders the form once).
    #[cfg(feature = "hydrate")]
    if keyboard {
        let handle = window_event_listener(leptos::ev::keydown, move |ev| {
            if ev.ctrl_key() || ev.meta_key() || ev.alt_key() || typing_in_field(&ev) {
                return;
            }
            let Some(Ok(form)) = form.get_untracked() else { return };
            if !form.can_annotate {
                return;
            }
            let configs = shown(&form);
            if configs.is_empty() {
                return;
            }
            let key = ev.key();
            match key.as_str() {
                "ArrowDown" | "j" => {
                    ev.prevent_default();
                    active.update(|a| *a = (*a + 1).min(configs.len() - 1));
                }
                "ArrowUp" | "k" => {
                    ev.prevent_default();
                    active.update(|a| *a = a.saturating_sub(1));
                }
                digit if digit.len() == 1 && digit.as_bytes()[0].is_ascii_digit() && digit != "0" => {
                    let n = (digit.as_bytes()[0] - b'1') as usize;
                    let current = active.get_untracked().min(configs.len() - 1);
                    let config = &configs[current];
                    let categories = categories_of(config);
                    if let Some((label, _)) = categories.get(n) {
                        ev.prevent_default();
                        let comment = form.mine(&config.id).and_then(|s| s.comment.clone());
                        send(config.id.clone(), serde_json::Value::String(label.clone()), comment);
                        if current + 1 < configs.len() {
                            active.set(current + 1);
                        }
                    } else if config.data_type == ScoreDataType::Numeric {
                        focus_number(&config.id);
                    }
                }
                _ => {}
            }
        });
        on_cleanup(move || handle.remove());
    }

    let error = Signal::derive(move || action_error(save).get().or_else(|| action_error(remove).get()));
    view! {
        <div class="space-y-3" data-testid="annotate-panel">
            {move || match form.try_get().flatten() {
                None => view! { <Skeleton label=t_string!(i18n, annotation.form.loading) /> }.into_any(),
                Some(Err(error)) => view! { <LoadError error /> }.into_any(),
                Some(Ok(form)) => {
                    let configs = shown(&form);
                    if configs.is_empty() {
                        let settings = format!("/project/{}/settings#score-configs", context.with_value(|(p, _)| p.clone()));
                        return view! {
                            <EmptyHint title=t_string!(i18n, annotation.form.no_configs_title) test_id="annotate-no-configs">
                                {t_string!(i18n, annotation.form.no_configs_body)}" "
                                <a class=BUTTON_LINK href=settings>{t_string!(i18n, annotation.form.open_settings)}</a>
                            </EmptyHint>
                        }.into_any();
                    }
                    let form = StoredValue::new(form);
                    configs.into_iter().enumerate().map(|(index, config)| view! {
                        <ConfigField config index active keyboard form send remove project_id=context.with_value(|(p, _)| p.clone()) />
                    }).collect_view().into_any()
                }
            }}
            <ErrorAlert error />
        </div>
    }
}

/// Whether a key press is typing into a field (shortcuts stay out of its way).
#[cfg(feature = "hydrate")]
fn typing_in_field(ev: &leptos::ev::KeyboardEvent) -> bool {
    use leptos::wasm_bindgen::JsCast;
    ev.target()
        .and_then(|t| t.dyn_into::<leptos::web_sys::Element>().ok())
        .is_some_and(|el| matches!(el.tag_name().as_str(), "INPUT" | "TEXTAREA" | "SELECT") || el.has_attribute("contenteditable"))
}

#[cfg(feature = "hydrate")]
fn focus_number(config_id: &str) {
    use leptos::wasm_bindgen::JsCast;
    let element = document().query_selector(&format!("[data-number-for=\"{config_id}\"]")).ok().flatten();
    if let Some(input) = element.and_then(|e| e.dyn_into::<leptos::web_sys::HtmlElement>().ok()) {
        let _ = input.focus();
    }
}

/// The choices of a categorical or boolean config, `(label, value)`.
fn categories_of(config: &ScoreConfig) -> Vec<(String, f64)> {
    crate::domain::score_views::ScoreRule::from(config).categories
}

#[component]
fn ConfigField(
    config: ScoreConfig,
    index: usize,
    active: RwSignal<usize>,
    keyboard: bool,
    form: StoredValue<AnnotationForm>,
    send: impl Fn(String, serde_json::Value, Option<String>) + Copy + Send + Sync + 'static,
    remove: ServerAction<DeleteAnnotation>,
    project_id: String,
) -> impl IntoView {
    let i18n = use_i18n();
    let locale = i18n.get_locale_untracked();
    let (mine, others, can_annotate, can_edit_any) = form.with_value(|f| {
        let mine = f.mine(&config.id).cloned();
        let others: Vec<(Score, String)> = f
            .scores
            .iter()
            .filter(|s| s.config_id.as_deref() == Some(config.id.as_str()) && s.author_user_id.as_deref() != Some(f.me.as_str()))
            .map(|s| (s.clone(), s.author_user_id.as_deref().map(|a| f.name_of(a)).unwrap_or_default()))
            .collect();
        (mine, others, f.can_annotate, f.can_edit_any)
    });
    let comment = RwSignal::new(mine.as_ref().and_then(|s| s.comment.clone()).unwrap_or_default());
    let comment_value = move || Some(comment.get_untracked()).filter(|c| !c.trim().is_empty());
    let config_id = StoredValue::new(config.id.clone());
    let current_label = mine.as_ref().and_then(|s| s.string_value.clone());
    let current_number = mine.as_ref().and_then(|s| s.value);
    let number = RwSignal::new(current_number.map(|v| v.to_string()).unwrap_or_default());
    let save_number = move || {
        let text = number.get_untracked();
        if let Ok(value) = text.trim().parse::<f64>() {
            send(config_id.get_value(), serde_json::json!(value), comment_value());
        }
    };
    let kind = config.data_type;
    let (min, max) = (config.min_value, config.max_value);
    let control = match kind {
        ScoreDataType::Numeric => view! {
            <div class="flex flex-wrap items-center gap-2">
                {(min.is_some() && max.is_some()).then(|| view! {
                    <input type="range" class="w-40 accent-indigo-600" min=min.unwrap_or(0.0) max=max.unwrap_or(1.0) step="any"
                        aria-label=config.name.clone() disabled=!can_annotate
                        prop:value=move || number.get()
                        on:input=move |ev| number.set(event_target_value(&ev))
                        on:change=move |_| save_number() />
                })}
                <input type="number" class=format!("{INPUT} w-28") step="any" min=min max=max data-number-for=config.id.clone()
                    data-testid="annotate-number" aria-label=config.name.clone() disabled=!can_annotate
                    prop:value=move || number.get()
                    on:input=move |ev| number.set(event_target_value(&ev))
                    on:keydown=move |ev| if ev.key() == "Enter" { ev.prevent_default(); save_number(); }
                    on:change=move |_| save_number() />
                {match (min, max) {
                    (Some(a), Some(b)) => Some(view! { <span class=HINT>{format!("{a} – {b}")}</span> }),
                    (Some(a), None) => Some(view! { <span class=HINT>{format!("≥ {a}")}</span> }),
                    (None, Some(b)) => Some(view! { <span class=HINT>{format!("≤ {b}")}</span> }),
                    (None, None) => None,
                }}
            </div>
        }.into_any(),
        _ => {
            let categories = categories_of(&config);
            view! {
                <div class="flex flex-wrap gap-1.5" role="group" aria-label=config.name.clone()>
                    {categories.into_iter().enumerate().map(|(n, (label, _))| {
                        let chosen = current_label.as_deref() == Some(label.as_str());
                        let shown = match (kind, label.as_str()) {
                            (ScoreDataType::Boolean, "True") => td_string!(locale, annotation.form.true_label).to_string(),
                            (ScoreDataType::Boolean, "False") => td_string!(locale, annotation.form.false_label).to_string(),
                            _ => label.clone(),
                        };
                        let value = label.clone();
                        view! {
                            <button type="button" disabled=!can_annotate data-testid="annotate-category" data-label=label.clone()
                                aria-pressed=chosen.to_string()
                                class=if chosen {
                                    "inline-flex items-center gap-1 rounded border border-indigo-600 bg-indigo-600 px-2 py-1 text-xs font-medium text-white"
                                } else {
                                    "inline-flex items-center gap-1 rounded border border-zinc-300 px-2 py-1 text-xs hover:bg-zinc-50 disabled:opacity-60 dark:border-zinc-700 dark:hover:bg-zinc-800"
                                }
                                on:click=move |_| send(config_id.get_value(), serde_json::Value::String(value.clone()), comment_value())>
                                {(keyboard && n < 9).then(|| view! { <kbd class="font-mono text-[10px] opacity-70">{(n + 1).to_string()}</kbd> })}
                                <span translate=if kind == ScoreDataType::Boolean { "yes" } else { "no" }>{shown}</span>
                            </button>
                        }
                    }).collect_view()}
                </div>
            }.into_any()
        }
    };
    let mine_id = mine.as_ref().map(|s| s.id.clone());
    let has_mine = mine.is_some();
    view! {
        <div data-testid="annotate-config" data-config=config.name.clone()
            class=move || format!("rounded-md border p-2 {}", if keyboard && active.get() == index {
                "border-indigo-400 ring-1 ring-indigo-400 dark:border-indigo-500 dark:ring-indigo-500"
            } else {
                "border-zinc-200 dark:border-zinc-800"
            })
            on:click=move |_| active.set(index)>
            <div class="mb-1.5 flex flex-wrap items-baseline justify-between gap-2">
                <span class="text-sm font-medium" translate="no">{config.name.clone()}</span>
                <span class="text-xs text-zinc-500" data-testid="annotate-mine">
                    {match &mine {
                        Some(score) => td_string!(locale, annotation.form.your_score, value = score_value(score)).to_string(),
                        None => td_string!(locale, annotation.form.not_scored).to_string(),
                    }}
                </span>
            </div>
            {config.description.clone().map(|d| view! { <p class=format!("{HINT} mb-1.5") translate="no">{d}</p> })}
            {control}
            {can_annotate.then(|| view! {
                <div class="mt-1.5 flex items-center gap-2">
                    <input type="text" class=format!("{INPUT} py-1 text-xs") maxlength="3000" data-testid="annotate-comment"
                        placeholder=td_string!(locale, annotation.form.comment_placeholder) aria-label=td_string!(locale, annotation.form.comment_label)
                        prop:value=move || comment.get() on:input=move |ev| comment.set(event_target_value(&ev))
                        on:change=move |_| {
                            // A comment changes the score it belongs to; before a value exists it waits for one.
                            if let Some(score) = form.with_value(|f| f.mine(&config_id.get_value()).cloned()) {
                                let value = score.string_value.clone().map(serde_json::Value::String).or_else(|| score.value.map(|v| serde_json::json!(v)));
                                if let Some(value) = value {
                                    send(config_id.get_value(), value, comment_value());
                                }
                            }
                        } />
                    {has_mine.then(|| {
                        let id = mine_id.clone().unwrap_or_default();
                        let project_id = project_id.clone();
                        view! {
                            <button type="button" class="shrink-0 text-xs text-zinc-500 hover:text-red-600" data-testid="annotate-clear"
                                on:click=move |_| { remove.dispatch(DeleteAnnotation { project_id: project_id.clone(), score_id: id.clone() }); }>
                                {t_string!(i18n, annotation.form.clear)}
                            </button>
                        }
                    })}
                </div>
            })}
            {(!others.is_empty()).then(|| view! {
                <ul class="mt-1.5 space-y-0.5 border-t border-zinc-100 pt-1.5 text-xs text-zinc-600 dark:border-zinc-800 dark:text-zinc-400" data-testid="annotate-others">
                    {others.into_iter().map(|(score, author)| {
                        let id = score.id.clone();
                        let project_id = project_id.clone();
                        view! {
                            <li class="flex items-center justify-between gap-2">
                                <span translate="no"><span class="font-medium">{author}</span>": "<span class="font-mono">{score_value(&score)}</span>
                                    {score.comment.clone().map(|c| view! { <span class="ml-1 text-zinc-500">{format!("— {c}")}</span> })}</span>
                                {can_edit_any.then(|| view! {
                                    <button type="button" class="text-zinc-500 hover:text-red-600" data-testid="annotate-remove-other"
                                        on:click=move |_| { remove.dispatch(DeleteAnnotation { project_id: project_id.clone(), score_id: id.clone() }); }>
                                        {t_string!(i18n, annotation.form.remove)}
                                    </button>
                                })}
                            </li>
                        }
                    }).collect_view()}
                </ul>
            })}
        </div>
    }
}
