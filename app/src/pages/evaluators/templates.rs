//! Choosing the judge's template: Loupe's built-ins and the project's own as cards, the chosen
//! one's prompt, and a form for a new custom template (its `{{variables}}` found as it is typed,
//! the score it gives: a numeric range, categories or true/false).

use leptos::prelude::*;

use super::{kind_label, output_summary};
use crate::components::prompt_view::PromptText;
use crate::components::ui::*;
use crate::domain::evaluators::{variables, OutputDefinition, ScoreKind, Template, TemplateInput, MAX_NAME_CHARS, MAX_PROMPT_CHARS};
use crate::i18n::*;
use crate::server_fns::evaluators::CreateEvaluationTemplate;

/// A built-in template's name and description in `locale` (the domain has the English; the
/// prompt itself stays as written, it is what the judge reads). Custom templates keep theirs.
pub(crate) fn template_words(locale: Locale, template: &Template) -> (String, String) {
    let words = match template.id.as_str() {
        "builtin:correctness" => Some((td_string!(locale, evaluators.builtins.correctness), td_string!(locale, evaluators.builtins.correctness_about))),
        "builtin:relevance" => Some((td_string!(locale, evaluators.builtins.relevance), td_string!(locale, evaluators.builtins.relevance_about))),
        "builtin:hallucination" => Some((td_string!(locale, evaluators.builtins.hallucination), td_string!(locale, evaluators.builtins.hallucination_about))),
        "builtin:helpfulness" => Some((td_string!(locale, evaluators.builtins.helpfulness), td_string!(locale, evaluators.builtins.helpfulness_about))),
        "builtin:toxicity" => Some((td_string!(locale, evaluators.builtins.toxicity), td_string!(locale, evaluators.builtins.toxicity_about))),
        "builtin:conciseness" => Some((td_string!(locale, evaluators.builtins.conciseness), td_string!(locale, evaluators.builtins.conciseness_about))),
        "builtin:language-match" => Some((td_string!(locale, evaluators.builtins.language_match), td_string!(locale, evaluators.builtins.language_match_about))),
        _ => None,
    };
    match words {
        Some((name, about)) => (name.to_string(), about.to_string()),
        None => (template.name.clone(), template.description.clone()),
    }
}

/// The template cards. Choosing one sets `chosen`; `on_new` opens the custom template form.
#[component]
pub(crate) fn TemplatePicker(
    templates: Vec<Template>,
    chosen: RwSignal<Option<Template>>,
    project_id: String,
    /// Whether the person may create templates (the "new custom template" card).
    can_create: bool,
) -> impl IntoView {
    let i18n = use_i18n();
    let locale = i18n.get_locale_untracked();
    let creating = RwSignal::new(false);
    // The project's new templates join the list here (no reload: the form keeps what was typed).
    let list = RwSignal::new(templates);
    let card = move |template: Template| {
        let (name, about) = template_words(locale, &template);
        let id = template.id.clone();
        let selected = Memo::new(move |_| chosen.with(|c| c.as_ref().is_some_and(|c| c.id == id)));
        let vars = template.variables.clone();
        let summary = output_summary(locale, &template.output);
        let custom = !template.builtin;
        view! {
            <button type="button" data-testid="template-card" data-id=template.id.clone() aria-pressed=move || selected.get().to_string()
                class=move || format!(
                    "flex min-w-0 flex-col items-start gap-1 rounded-lg border p-3 text-left text-sm transition hover:border-indigo-400 focus-visible:outline-none focus-visible:ring-2 focus-visible:ring-indigo-500 {}",
                    if selected.get() { "border-indigo-600 bg-indigo-50 ring-1 ring-indigo-600 dark:border-indigo-400 dark:bg-indigo-950/40 dark:ring-indigo-400" } else { "border-zinc-200 bg-white dark:border-zinc-800 dark:bg-zinc-900" })
                on:click={
                    let template = template.clone();
                    move |_| chosen.set(Some(template.clone()))
                }>
                <span class="flex w-full items-center justify-between gap-2">
                    <span class="min-w-0 truncate font-medium" translate=if custom { "no" } else { "yes" }>{name}</span>
                    {custom.then(|| view! { <span class="shrink-0 rounded bg-zinc-100 px-1.5 py-0.5 text-[10px] font-semibold uppercase text-zinc-600 dark:bg-zinc-800 dark:text-zinc-300">{td_string!(locale, evaluators.templates.custom_badge)}</span> })}
                </span>
                <span class="line-clamp-2 text-xs text-zinc-600 dark:text-zinc-400" translate=if custom { "no" } else { "yes" }>{about}</span>
                <span class="mt-auto flex flex-wrap gap-1 pt-1">
                    {vars.into_iter().map(|v| view! { <code class="rounded bg-amber-100 px-1 text-[11px] text-amber-900 dark:bg-amber-900/40 dark:text-amber-200" translate="no">{format!("{{{{{v}}}}}")}</code> }).collect_view()}
                    <span class="text-[11px] text-zinc-500 dark:text-zinc-400">{summary}</span>
                </span>
            </button>
        }
    };
    let builtin_cards = list.with_untracked(|l| l.iter().filter(|t| t.builtin).cloned().map(card).collect_view());
    let custom_cards = move || list.with(|l| l.iter().filter(|t| !t.builtin).cloned().map(card).collect_view());
    let has_custom = move || list.with(|l| l.iter().any(|t| !t.builtin));
    view! {
        <div class="space-y-3">
            <h3 class="text-xs font-semibold uppercase tracking-wide text-zinc-500 dark:text-zinc-400">{t_string!(i18n, evaluators.templates.builtin)}</h3>
            <div class="grid grid-cols-1 gap-2 sm:grid-cols-2 xl:grid-cols-3" data-testid="builtin-templates">{builtin_cards}</div>
            <h3 class="pt-1 text-xs font-semibold uppercase tracking-wide text-zinc-500 dark:text-zinc-400">{t_string!(i18n, evaluators.templates.custom)}</h3>
            <div class="grid grid-cols-1 gap-2 sm:grid-cols-2 xl:grid-cols-3" data-testid="custom-templates">
                {custom_cards}
                {can_create.then(|| view! {
                    <button type="button" data-testid="new-template" aria-expanded=move || creating.get().to_string()
                        class="flex min-h-20 items-center justify-center rounded-lg border border-dashed border-zinc-300 p-3 text-sm font-medium text-indigo-700 hover:border-indigo-400 hover:bg-indigo-50 dark:border-zinc-700 dark:text-indigo-300 dark:hover:bg-indigo-950/40"
                        on:click=move |_| creating.update(|c| *c = !*c)>
                        {t_string!(i18n, evaluators.templates.new)}
                    </button>
                })}
            </div>
            {move || (!has_custom() && !can_create).then(|| view! { <p class=HINT>{t_string!(i18n, evaluators.templates.no_custom)}</p> })}
            <Show when=move || creating.get()>
                <TemplateForm project_id=project_id.clone()
                    on_created=Callback::new(move |t: Template| {
                        creating.set(false);
                        list.update(|l| l.push(t.clone()));
                        chosen.set(Some(t));
                    })
                    on_cancel=Callback::new(move |_| creating.set(false)) />
            </Show>
            {move || chosen.get().map(|t| view! { <ChosenTemplate template=t /> })}
        </div>
    }
}

/// The chosen template's prompt (variables marked) and the score it gives.
#[component]
fn ChosenTemplate(template: Template) -> impl IntoView {
    let i18n = use_i18n();
    let locale = i18n.get_locale_untracked();
    view! {
        <details class="rounded-md border border-zinc-200 dark:border-zinc-800" data-testid="chosen-template">
            <summary class="cursor-pointer px-3 py-2 text-sm">
                <span class="font-medium">{t_string!(i18n, evaluators.templates.show_prompt)}</span>
                <span class="ml-2 text-xs text-zinc-500 dark:text-zinc-400">{output_summary(locale, &template.output)}</span>
            </summary>
            <div class="space-y-2 border-t border-zinc-200 px-3 py-3 dark:border-zinc-800" translate="no">
                <PromptText project_id=String::new() text=template.prompt.clone() />
                <p class="text-xs text-zinc-500 dark:text-zinc-400"><span translate="yes">{t_string!(i18n, evaluators.templates.score_means)}</span>" "{template.output.score.clone()}</p>
            </div>
        </details>
    }
}

/// A problem with the custom template, as (field, message in `locale`): the domain's rules
/// (`TemplateInput::checked`), each worded here.
pub(crate) fn template_problem(locale: Locale, input: &TemplateInput) -> Option<(String, String)> {
    let problem = input.checked().err()?;
    let message = match problem.field.as_str() {
        "name" if input.name.trim().is_empty() => td_string!(locale, evaluators.problems.name_required).to_string(),
        "name" if input.name.trim().chars().count() > MAX_NAME_CHARS => td_string!(locale, evaluators.problems.too_long, max = MAX_NAME_CHARS).to_string(),
        "name" => td_string!(locale, evaluators.problems.template_name).to_string(),
        "prompt" if input.prompt.trim().is_empty() => td_string!(locale, evaluators.problems.prompt_empty).to_string(),
        "prompt" if input.prompt.trim().chars().count() > MAX_PROMPT_CHARS => td_string!(locale, evaluators.problems.too_long, max = MAX_PROMPT_CHARS).to_string(),
        "prompt" => td_string!(locale, evaluators.problems.no_variables).to_string(),
        "output.reasoning" => td_string!(locale, evaluators.problems.reasoning_empty).to_string(),
        "output.score" => td_string!(locale, evaluators.problems.score_empty).to_string(),
        "output.minValue" | "output.maxValue" if input.output.min_value.is_some_and(|v| !v.is_finite()) || input.output.max_value.is_some_and(|v| !v.is_finite()) => {
            td_string!(locale, evaluators.problems.not_a_number).to_string()
        }
        "output.maxValue" => td_string!(locale, evaluators.problems.max_not_above_min).to_string(),
        "output.categories" => td_string!(locale, evaluators.problems.two_categories).to_string(),
        field if field.starts_with("output.categories[") => td_string!(locale, evaluators.problems.category_repeated).to_string(),
        _ => problem.message.clone(),
    };
    Some((problem.field, message))
}

/// A new custom template: name, description, prompt, and the score it asks the judge for.
#[component]
fn TemplateForm(project_id: String, on_created: Callback<Template>, on_cancel: Callback<()>) -> impl IntoView {
    let i18n = use_i18n();
    let locale = i18n.get_locale_untracked();
    let create = ServerAction::<CreateEvaluationTemplate>::new();
    let name = RwSignal::new(String::new());
    let description = RwSignal::new(String::new());
    let prompt = RwSignal::new(String::new());
    let kind = RwSignal::new(ScoreKind::Numeric);
    let min = RwSignal::new("0".to_string());
    let max = RwSignal::new("1".to_string());
    let categories = RwSignal::new(String::new());
    let multiple = RwSignal::new(false);
    let reasoning = RwSignal::new(td_string!(locale, evaluators.templates.reasoning_default).to_string());
    let score = RwSignal::new(String::new());
    let problem = RwSignal::new(None::<(String, String)>);
    let found = Memo::new(move |_| prompt.with(|p| variables(p)));
    let project_id = StoredValue::new(project_id);
    Effect::new(move |_| {
        if let Some(Ok(template)) = create.value().get() {
            on_created.run(template);
        }
    });
    let number = |text: String| -> Result<Option<f64>, ()> {
        let text = text.trim().to_string();
        if text.is_empty() { Ok(None) } else { text.parse::<f64>().map(Some).map_err(|_| ()) }
    };
    let submit = move || {
        let (min_value, max_value) = match (number(min.get_untracked()), number(max.get_untracked())) {
            (Ok(a), Ok(b)) => (a, b),
            (Err(_), _) => return problem.set(Some(("output.minValue".into(), td_string!(locale, evaluators.problems.not_a_number).to_string()))),
            (_, Err(_)) => return problem.set(Some(("output.maxValue".into(), td_string!(locale, evaluators.problems.not_a_number).to_string()))),
        };
        let data_type = kind.get_untracked();
        let input = TemplateInput {
            name: name.get_untracked(),
            description: description.get_untracked(),
            prompt: prompt.get_untracked(),
            output: OutputDefinition {
                data_type,
                reasoning: reasoning.get_untracked(),
                score: score.get_untracked(),
                min_value: if data_type == ScoreKind::Numeric { min_value } else { None },
                max_value: if data_type == ScoreKind::Numeric { max_value } else { None },
                categories: if data_type == ScoreKind::Categorical {
                    categories.get_untracked().lines().map(str::trim).filter(|c| !c.is_empty()).map(str::to_string).collect()
                } else {
                    Vec::new()
                },
                multiple: data_type == ScoreKind::Categorical && multiple.get_untracked(),
            },
        };
        if let Some(found) = template_problem(locale, &input) {
            return problem.set(Some(found));
        }
        problem.set(None);
        create.dispatch(CreateEvaluationTemplate { project_id: project_id.get_value(), template: input });
    };
    // The server's refusal names its field too (a name taken, say).
    let shown = Memo::new(move |_| {
        problem.get().or_else(|| match create.value().get() {
            Some(Err(crate::error::AppError::Invalid { field, message })) => Some((field, message)),
            _ => None,
        })
    });
    let field_error = move |field: &'static str| {
        move || {
            shown.get().filter(|(f, _)| f == field || f.starts_with(&format!("{field}["))).map(|(_, message)| {
                view! { <p class="mt-1 text-xs text-red-700 dark:text-red-400" role="alert" data-testid="template-field-error" data-field=field>{message}</p> }
            })
        }
    };
    let other_error = Signal::derive(move || match create.value().get() {
        Some(Err(crate::error::AppError::Invalid { .. })) | None | Some(Ok(_)) => None,
        Some(Err(error)) => Some(error),
    });
    view! {
        // Not nested in the evaluator's <form>: a form inside a form is invalid HTML, so this is
        // a <div> whose button submits by hand.
        <div class="space-y-3 rounded-lg border border-indigo-200 bg-indigo-50/40 p-4 dark:border-indigo-900 dark:bg-indigo-950/20" data-testid="template-form"
            on:keydown=move |ev: leptos::ev::KeyboardEvent| {
                // Enter in a one-line field creates the template; it must not submit the
                // evaluator's form around it.
                if ev.key() == "Enter" && event_target::<leptos::web_sys::Element>(&ev).tag_name() == "INPUT" {
                    ev.prevent_default();
                    submit();
                }
            }>
            <h3 class="text-sm font-semibold">{t_string!(i18n, evaluators.templates.new_title)}</h3>
            <div class="grid grid-cols-1 gap-3 sm:grid-cols-2">
                <label class="block">
                    <span class=LABEL>{t_string!(i18n, evaluators.templates.name)}</span>
                    <input type="text" class=format!("{INPUT} mt-1") maxlength=MAX_NAME_CHARS.to_string() data-testid="template-name"
                        prop:value=move || name.get() on:input=move |ev| name.set(event_target_value(&ev)) />
                    {field_error("name")}
                </label>
                <label class="block">
                    <span class=LABEL>{t_string!(i18n, evaluators.templates.description)}</span>
                    <input type="text" class=format!("{INPUT} mt-1") data-testid="template-description"
                        prop:value=move || description.get() on:input=move |ev| description.set(event_target_value(&ev)) />
                </label>
            </div>
            <label class="block">
                <span class=LABEL>{t_string!(i18n, evaluators.templates.prompt)}</span>
                <textarea class=format!("{INPUT} mt-1 min-h-40 font-mono text-xs") data-testid="template-prompt" translate="no"
                    placeholder=td_string!(locale, evaluators.templates.prompt_placeholder, example = "{{output}}").to_string()
                    prop:value=move || prompt.get() on:input=move |ev| prompt.set(event_target_value(&ev))></textarea>
                {field_error("prompt")}
            </label>
            <div class="text-xs" data-testid="template-variables" aria-live="polite">
                {move || {
                    let found = found.get();
                    if found.is_empty() {
                        view! { <span class="text-zinc-500 dark:text-zinc-400">{td_string!(locale, evaluators.templates.no_variables_yet)}</span> }.into_any()
                    } else {
                        view! {
                            <span class="flex flex-wrap items-center gap-1">
                                <span class="text-zinc-600 dark:text-zinc-300">{td_string!(locale, evaluators.templates.variables_found)}</span>
                                {found.into_iter().map(|v| view! { <code class="rounded bg-amber-100 px-1 text-amber-900 dark:bg-amber-900/40 dark:text-amber-200" data-testid="template-variable" translate="no">{v}</code> }).collect_view()}
                            </span>
                        }.into_any()
                    }
                }}
            </div>
            <fieldset>
                <legend class=LABEL>{t_string!(i18n, evaluators.templates.output_type)}</legend>
                <div class="mt-1 flex flex-wrap gap-x-4 gap-y-1">
                    {[ScoreKind::Numeric, ScoreKind::Categorical, ScoreKind::Boolean].into_iter().map(|k| view! {
                        <label class="flex items-center gap-1.5 text-sm">
                            <input type="radio" name="template-output-type" data-testid="template-output-type" value=format!("{k:?}")
                                prop:checked=move || kind.get() == k on:change=move |_| kind.set(k) />
                            {kind_label(locale, k)}
                        </label>
                    }).collect_view()}
                </div>
            </fieldset>
            <Show when=move || kind.get() == ScoreKind::Numeric>
                <div class="flex flex-wrap gap-3">
                    <label class="block">
                        <span class=LABEL>{t_string!(i18n, evaluators.templates.min)}</span>
                        <input type="number" step="any" class=format!("{INPUT} mt-1 w-32") data-testid="template-min"
                            prop:value=move || min.get() on:input=move |ev| min.set(event_target_value(&ev)) />
                        {field_error("output.minValue")}
                    </label>
                    <label class="block">
                        <span class=LABEL>{t_string!(i18n, evaluators.templates.max)}</span>
                        <input type="number" step="any" class=format!("{INPUT} mt-1 w-32") data-testid="template-max"
                            prop:value=move || max.get() on:input=move |ev| max.set(event_target_value(&ev)) />
                        {field_error("output.maxValue")}
                    </label>
                </div>
            </Show>
            <Show when=move || kind.get() == ScoreKind::Categorical>
                <label class="block">
                    <span class=LABEL>{t_string!(i18n, evaluators.templates.categories)}</span>
                    <textarea class=format!("{INPUT} mt-1 min-h-20 font-mono text-xs") data-testid="template-categories"
                        placeholder=td_string!(locale, evaluators.templates.categories_placeholder)
                        prop:value=move || categories.get() on:input=move |ev| categories.set(event_target_value(&ev))></textarea>
                    {field_error("output.categories")}
                </label>
                <label class="flex items-center gap-1.5 text-sm">
                    <input type="checkbox" data-testid="template-multiple" prop:checked=move || multiple.get() on:change=move |ev| multiple.set(event_target_checked(&ev)) />
                    {t_string!(i18n, evaluators.templates.multiple)}
                </label>
            </Show>
            <Show when=move || kind.get() == ScoreKind::Boolean>
                <p class=HINT>{t_string!(i18n, evaluators.templates.boolean_hint)}</p>
            </Show>
            <div class="grid grid-cols-1 gap-3 sm:grid-cols-2">
                <label class="block">
                    <span class=LABEL>{t_string!(i18n, evaluators.templates.score_description)}</span>
                    <input type="text" class=format!("{INPUT} mt-1") data-testid="template-score" placeholder=td_string!(locale, evaluators.templates.score_placeholder)
                        prop:value=move || score.get() on:input=move |ev| score.set(event_target_value(&ev)) />
                    {field_error("output.score")}
                </label>
                <label class="block">
                    <span class=LABEL>{t_string!(i18n, evaluators.templates.reasoning_description)}</span>
                    <input type="text" class=format!("{INPUT} mt-1") data-testid="template-reasoning"
                        prop:value=move || reasoning.get() on:input=move |ev| reasoning.set(event_target_value(&ev)) />
                    {field_error("output.reasoning")}
                </label>
            </div>
            <ErrorAlert error=other_error />
            <div class="flex flex-wrap gap-2">
                <button type="button" class=BUTTON_PRIMARY data-testid="create-template" disabled=move || create.pending().get()
                    on:click=move |_| submit()>{t_string!(i18n, evaluators.templates.create)}</button>
                <button type="button" class=BUTTON_SECONDARY on:click=move |_| on_cancel.run(())>{t_string!(i18n, evaluators.form.cancel)}</button>
            </div>
        </div>
    }
}
