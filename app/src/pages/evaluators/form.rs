//! The evaluator form, in numbered sections that stack on a phone: template, judge (connection
//! and model), name and score, target, filter, sampling and delay, variable mapping with its live
//! preview. Used to create an evaluator (`new.rs`) and to edit one (`evaluator.rs`).
//!
//! It is checked before it is sent with the domain's own rules (`EvaluatorInput::checked`, the
//! ones the server applies), each problem worded here in the person's language and shown under
//! its field; the server's refusal names its field the same way (`name`, `mapping[1].jsonPath`).

use leptos::prelude::*;

use super::filter::{filter_problem, trimmed, FilterEditor};
use super::mapping::{mapping_for, MappingPreview, MappingRows, PreviewRequest};
use super::templates::TemplatePicker;
use super::{connections_href, percent, FormSection};
use crate::components::ui::*;
use crate::domain::account::ProjectRef;
use crate::domain::evaluators::{variables, Evaluator, EvaluatorInput, EvaluatorTarget, Template, DEFAULT_DELAY_MS, MAX_DELAY_MS, MAX_NAME_CHARS};
use crate::domain::playground::PlaygroundConnection;
use crate::domain::{Action, ObservationType};
use crate::error::AppError;
use crate::i18n::*;

/// What the form starts from: nothing (a new evaluator) or an evaluator being edited.
#[derive(Clone)]
pub(crate) struct FormStart {
    pub templates: Vec<Template>,
    pub connections: Vec<PlaygroundConnection>,
    /// The project's datasets as (id, name), for dataset run targets.
    pub datasets: Vec<(String, String)>,
    pub editing: Option<Evaluator>,
}

/// The label of a form field as the domain and the server name it (`scoreName`, `delayMs`,
/// `mapping[0].jsonPath`, `filter.tag`), for errors shown away from their field.
pub(crate) fn field_label(locale: Locale, field: &str) -> String {
    let base = field.split(['[', '.']).next().unwrap_or(field);
    match base {
        "name" => td_string!(locale, evaluators.form.name).to_string(),
        "scoreName" => td_string!(locale, evaluators.form.score_name).to_string(),
        "templateId" | "template" => td_string!(locale, evaluators.form.template).to_string(),
        "connection" => td_string!(locale, evaluators.form.connection).to_string(),
        "model" => td_string!(locale, evaluators.form.model).to_string(),
        "target" => td_string!(locale, evaluators.form.target).to_string(),
        "sampling" => td_string!(locale, evaluators.form.sampling).to_string(),
        "delayMs" => td_string!(locale, evaluators.form.delay).to_string(),
        "mapping" => td_string!(locale, evaluators.form.mapping).to_string(),
        "filter" => {
            let key = field.strip_prefix("filter.").unwrap_or("");
            super::filter::filter_label(locale, key).map_or_else(|| td_string!(locale, evaluators.form.filter).to_string(), str::to_string)
        }
        _ => field.to_string(),
    }
}

/// What is wrong with the form, as (field, message in `locale`): the domain's check
/// (`EvaluatorInput::checked`, the server's own), worded here. The JSON paths are the server's to
/// check (their syntax is RFC 9535's).
pub(crate) fn form_problem(locale: Locale, input: &EvaluatorInput, template: &Template) -> Option<(String, String)> {
    if let Some((key, message)) = filter_problem(locale, &input.filter) {
        return Some((format!("filter.{key}"), message));
    }
    let problem = input.checked(template).err()?;
    let field = problem.field.clone();
    let name_problem = |value: &str| {
        if value.trim().is_empty() {
            td_string!(locale, evaluators.problems.name_required).to_string()
        } else if value.trim().chars().count() > MAX_NAME_CHARS {
            td_string!(locale, evaluators.problems.too_long, max = MAX_NAME_CHARS).to_string()
        } else {
            td_string!(locale, evaluators.problems.control_characters).to_string()
        }
    };
    let mapping_row = |field: &str| -> Option<usize> { field.strip_prefix("mapping[")?.split(']').next()?.parse().ok() };
    let message = match field.as_str() {
        "name" => name_problem(&input.name),
        "scoreName" => name_problem(input.score_name.as_deref().unwrap_or(&input.name)),
        "connection" => td_string!(locale, evaluators.problems.connection_required).to_string(),
        "model" => td_string!(locale, evaluators.problems.model_required).to_string(),
        "sampling" => td_string!(locale, evaluators.problems.sampling_range).to_string(),
        "delayMs" => td_string!(locale, evaluators.problems.delay_range).to_string(),
        "mapping" => {
            let missing = variables(&template.prompt).into_iter().find(|v| !input.mapping.iter().any(|m| m.variable.trim() == v)).unwrap_or_default();
            td_string!(locale, evaluators.problems.variable_unmapped, variable = missing).to_string()
        }
        f if f.ends_with(".source") => td_string!(locale, evaluators.problems.expected_output_needs_dataset).to_string(),
        f if f.ends_with(".variable") => {
            let variable = mapping_row(f).and_then(|i| input.mapping.get(i)).map(|m| m.variable.trim().to_string()).unwrap_or_default();
            td_string!(locale, evaluators.problems.variable_unknown, variable = variable).to_string()
        }
        _ => problem.message.clone(),
    };
    Some((field, message))
}

/// The target kinds as the form's radio values.
const TARGETS: [&str; 3] = ["trace", "observation", "dataset_run"];

/// The form. `submit` gets the checked input; `pending` and `server_error` are the save's.
#[component]
pub(crate) fn EvaluatorForm(
    project: ProjectRef,
    start: FormStart,
    submit: Callback<(EvaluatorInput, Template)>,
    #[prop(into)] pending: Signal<bool>,
    #[prop(into)] server_error: Signal<Option<AppError>>,
    submit_label: &'static str,
    /// Where Cancel leads.
    cancel_href: String,
) -> impl IntoView {
    let i18n = use_i18n();
    let locale = i18n.get_locale_untracked();
    let FormStart { templates, connections, datasets, editing } = start;
    let editing_template = editing.as_ref().map(|e| {
        templates.iter().find(|t| t.id == e.template_id).cloned().unwrap_or_else(|| Template {
            // The template is gone (a deleted custom one): the evaluator's own snapshot stands in.
            id: e.template_id.clone(),
            name: e.template_name.clone(),
            description: String::new(),
            prompt: e.prompt.clone(),
            output: e.output.clone(),
            variables: variables(&e.prompt),
            builtin: e.template_id.starts_with(crate::domain::evaluators::BUILTIN_PREFIX),
            created_at: None,
        })
    });
    let template = RwSignal::new(editing_template);
    let name = RwSignal::new(editing.as_ref().map(|e| e.name.clone()).unwrap_or_default());
    let score_name = RwSignal::new(editing.as_ref().map(|e| if e.score_name == e.name { String::new() } else { e.score_name.clone() }).unwrap_or_default());
    let first = connections.first();
    let connection = RwSignal::new(editing.as_ref().map(|e| e.connection.clone()).or_else(|| first.map(|c| c.name.clone())).unwrap_or_default());
    let model = RwSignal::new(editing.as_ref().map(|e| e.model.clone()).or_else(|| first.and_then(|c| c.models.first().cloned())).unwrap_or_default());
    let initial_target = editing.as_ref().map(|e| e.target.clone()).unwrap_or(EvaluatorTarget::Trace);
    let target_kind = RwSignal::new(initial_target.kind().to_string());
    let (types0, obs_name0, dataset0) = match &initial_target {
        EvaluatorTarget::Observation { types, name } => (types.clone(), name.clone().unwrap_or_default(), String::new()),
        EvaluatorTarget::DatasetRun { dataset_id } => (Vec::new(), String::new(), dataset_id.clone().unwrap_or_default()),
        EvaluatorTarget::Trace => (Vec::new(), String::new(), String::new()),
    };
    let obs_types = RwSignal::new(types0);
    let obs_name = RwSignal::new(obs_name0);
    let dataset_id = RwSignal::new(dataset0);
    let filter = RwSignal::new(editing.as_ref().map(|e| e.filter.clone()).unwrap_or_default());
    let sampling = RwSignal::new(editing.as_ref().map(|e| (e.sampling * 100.0).clamp(0.1, 100.0)).unwrap_or(100.0));
    let delay = RwSignal::new(editing.as_ref().map(|e| e.delay_ms).unwrap_or(DEFAULT_DELAY_MS).div_euclid(1000).to_string());
    let mapping = RwSignal::new(editing.as_ref().map(|e| e.mapping.clone()).unwrap_or_default());
    let preview_trace = RwSignal::new(String::new());
    let problem = RwSignal::new(None::<(String, String)>);
    let connections = StoredValue::new(connections);

    let target = Memo::new(move |_| match target_kind.get().as_str() {
        "observation" => EvaluatorTarget::Observation {
            types: obs_types.get(),
            name: Some(obs_name.get().trim().to_string()).filter(|n| !n.is_empty()),
        },
        "dataset_run" => EvaluatorTarget::DatasetRun { dataset_id: Some(dataset_id.get()).filter(|d| !d.is_empty()) },
        _ => EvaluatorTarget::Trace,
    });
    let dataset = Memo::new(move |_| matches!(target.get(), EvaluatorTarget::DatasetRun { .. }));
    // The mapping follows the template's variables (keeping choices made) and the target (an
    // expected output exists only for dataset runs).
    Effect::new(move |_| {
        let vars = template.with(|t| t.as_ref().map(|t| t.variables.clone()).unwrap_or_default());
        let is_dataset = dataset.get();
        let next = mapping.with_untracked(|m| mapping_for(&vars, m, is_dataset));
        if mapping.with_untracked(|m| *m != next) {
            mapping.set(next);
        }
    });
    // A fresh form names the evaluator after its template until a name is typed.
    let named = RwSignal::new(editing.is_some());
    Effect::new(move |_| {
        if let Some(t) = template.get() {
            if !named.get_untracked() {
                name.set(super::templates::template_words(locale, &t).0);
            }
        }
    });
    let filter_issue = Memo::new(move |_| filter.with(|f| filter_problem(locale, f)));
    let input = move || EvaluatorInput {
        name: name.get_untracked(),
        score_name: Some(score_name.get_untracked()).filter(|s| !s.trim().is_empty()),
        template_id: template.with_untracked(|t| t.as_ref().map(|t| t.id.clone()).unwrap_or_default()),
        connection: connection.get_untracked(),
        model: model.get_untracked(),
        target: target.get_untracked(),
        filter: trimmed(&filter.get_untracked()),
        sampling: (sampling.get_untracked() / 100.0).clamp(0.0, 1.0),
        delay_ms: delay.with_untracked(|d| d.trim().parse::<f64>().ok()).filter(|d| d.is_finite()).map(|d| (d * 1000.0).round() as i64).unwrap_or(-1),
        mapping: mapping.get_untracked(),
    };
    let preview_request = Memo::new(move |_| {
        let t = template.get()?;
        Some(PreviewRequest {
            template_id: t.id.clone(),
            target: target.get(),
            filter: trimmed(&filter.get()),
            mapping: mapping.get(),
            trace_id: Some(preview_trace.get()).filter(|t| !t.is_empty()),
        })
    });
    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let Some(chosen) = template.get_untracked() else {
            problem.set(Some(("template".into(), td_string!(locale, evaluators.problems.template_required).to_string())));
            scroll_to_problem();
            return;
        };
        let input = input();
        if let Some(found) = form_problem(locale, &input, &chosen) {
            problem.set(Some(found));
            scroll_to_problem();
            return;
        }
        problem.set(None);
        submit.run((input, chosen));
    };
    // The form's own problem, else the server's when it names a field.
    let shown = Signal::derive(move || {
        problem.get().or_else(|| match server_error.get() {
            Some(AppError::Invalid { field, message }) => Some((field, message)),
            _ => None,
        })
    });
    let field_error = move |field: &'static str| {
        move || {
            shown.get().filter(|(f, _)| f == field).map(|(_, message)| {
                view! { <p class="mt-1 text-xs text-red-700 dark:text-red-400" role="alert" data-testid="field-error" data-field=field>{message}</p> }
            })
        }
    };
    let invalid = move |field: &'static str| move || if shown.with(|s| s.as_ref().is_some_and(|(f, _)| f == field)) { "border-red-500 dark:border-red-500" } else { "" };
    let can_manage_connections = project.can(Action::ManageLlmConnections);
    let settings = connections_href(&project.id);
    let no_connections = connections.with_value(|c| c.is_empty());
    let models = Memo::new(move |_| {
        let chosen = connection.get();
        connections.with_value(|c| c.iter().find(|c| c.name == chosen).map(|c| c.models.clone()).unwrap_or_default())
    });
    let project_id = StoredValue::new(project.id.clone());
    let can_create_templates = project.can(Action::WriteScores);
    view! {
        <form class="space-y-4" on:submit=on_submit data-testid="evaluator-form" novalidate>
            <FormSection step=1 title=td_string!(locale, evaluators.form.template_title) hint=td_string!(locale, evaluators.form.template_hint) test_id="section-template">
                <TemplatePicker templates=templates.clone() chosen=template project_id=project_id.get_value() can_create=can_create_templates />
                {field_error("template")}
            </FormSection>

            <FormSection step=2 title=td_string!(locale, evaluators.form.judge_title) hint=td_string!(locale, evaluators.form.judge_hint) test_id="section-judge">
                {no_connections.then(|| view! {
                    <div class="rounded-md border border-amber-300 bg-amber-50 px-3 py-2 text-sm text-amber-900 dark:border-amber-800 dark:bg-amber-950/40 dark:text-amber-200" role="alert" data-testid="evaluator-no-connections">
                        <p class="font-medium">{t_string!(i18n, evaluators.connections.none_title)}</p>
                        {if can_manage_connections {
                            view! { <a class=BUTTON_LINK href=settings.clone()>{t_string!(i18n, evaluators.connections.add)}</a> }.into_any()
                        } else {
                            view! { <p>{t_string!(i18n, evaluators.connections.ask)}</p> }.into_any()
                        }}
                    </div>
                })}
                <div class="grid grid-cols-1 gap-3 sm:grid-cols-2">
                    <label class="block min-w-0">
                        <span class=LABEL>{t_string!(i18n, evaluators.form.connection)}</span>
                        <select class=move || format!("{SELECT} mt-1 w-full {}", invalid("connection")()) data-testid="evaluator-connection" disabled=no_connections
                            on:change=move |ev| {
                                let chosen = event_target_value(&ev);
                                // A model of the new connection, unless the one typed is among them.
                                let offered = connections.with_value(|c| c.iter().find(|c| c.name == chosen).map(|c| c.models.clone()).unwrap_or_default());
                                if !offered.contains(&model.get_untracked()) {
                                    if let Some(first) = offered.first() { model.set(first.clone()) }
                                }
                                connection.set(chosen);
                            }>
                            // An edited evaluator's connection may have been deleted since: it
                            // stays listed (and the save names it missing) rather than silently
                            // switching to another.
                            {move || {
                                let chosen = connection.get();
                                let known = connections.with_value(|c| c.iter().any(|c| c.name == chosen));
                                (!known && !chosen.is_empty()).then(|| view! {
                                    <option value=chosen.clone() selected translate="no">{td_string!(locale, evaluators.connections.missing, name = chosen.clone()).to_string()}</option>
                                })
                            }}
                            {connections.get_value().into_iter().map(|c| {
                                let value = c.name.clone();
                                view! { <option value=c.name.clone() selected=move || connection.get() == value translate="no">{c.name.clone()}</option> }
                            }).collect_view()}
                        </select>
                        {field_error("connection")}
                    </label>
                    <label class="block min-w-0">
                        <span class=LABEL>{t_string!(i18n, evaluators.form.model)}</span>
                        <input type="text" class=move || format!("{INPUT} mt-1 font-mono {}", invalid("model")()) list="evaluator-models" data-testid="evaluator-model" translate="no"
                            autocomplete="off" prop:value=move || model.get() on:input=move |ev| model.set(event_target_value(&ev)) />
                        <datalist id="evaluator-models">{move || models.get().into_iter().map(|m| view! { <option value=m /> }).collect_view()}</datalist>
                        {field_error("model")}
                    </label>
                </div>
            </FormSection>

            <FormSection step=3 title=td_string!(locale, evaluators.form.name_title) hint=td_string!(locale, evaluators.form.name_hint) test_id="section-name">
                <div class="grid grid-cols-1 gap-3 sm:grid-cols-2">
                    <label class="block min-w-0">
                        <span class=LABEL>{t_string!(i18n, evaluators.form.name)}</span>
                        <input type="text" class=move || format!("{INPUT} mt-1 {}", invalid("name")()) maxlength=MAX_NAME_CHARS.to_string() data-testid="evaluator-name" translate="no"
                            prop:value=move || name.get() on:input=move |ev| { named.set(true); name.set(event_target_value(&ev)) } />
                        {field_error("name")}
                    </label>
                    <label class="block min-w-0">
                        <span class=LABEL>{t_string!(i18n, evaluators.form.score_name)}</span>
                        <input type="text" class=move || format!("{INPUT} mt-1 {}", invalid("scoreName")()) maxlength=MAX_NAME_CHARS.to_string() data-testid="evaluator-score-name" translate="no"
                            placeholder=move || name.get()
                            prop:value=move || score_name.get() on:input=move |ev| score_name.set(event_target_value(&ev)) />
                        <span class=HINT>{t_string!(i18n, evaluators.form.score_name_hint)}</span>
                        {field_error("scoreName")}
                    </label>
                </div>
            </FormSection>

            <FormSection step=4 title=td_string!(locale, evaluators.form.target_title) hint=td_string!(locale, evaluators.form.target_hint) test_id="section-target">
                <div class="grid grid-cols-1 gap-2 sm:grid-cols-3" role="radiogroup" aria-label=td_string!(locale, evaluators.form.target)>
                    {TARGETS.into_iter().map(|kind| {
                        let (title, about) = match kind {
                            "observation" => (td_string!(locale, evaluators.target.observations), td_string!(locale, evaluators.target.observations_about)),
                            "dataset_run" => (td_string!(locale, evaluators.target.dataset_runs), td_string!(locale, evaluators.target.dataset_runs_about)),
                            _ => (td_string!(locale, evaluators.target.traces), td_string!(locale, evaluators.target.traces_about)),
                        };
                        view! {
                            <label class=move || format!("flex cursor-pointer items-start gap-2 rounded-lg border p-3 text-sm {}",
                                if target_kind.get() == kind { "border-indigo-600 bg-indigo-50 dark:border-indigo-400 dark:bg-indigo-950/40" } else { "border-zinc-200 dark:border-zinc-800" })>
                                <input type="radio" name="evaluator-target" class="mt-0.5" value=kind data-testid="evaluator-target"
                                    prop:checked=move || target_kind.get() == kind on:change=move |_| target_kind.set(kind.to_string()) />
                                <span class="min-w-0">
                                    <span class="block font-medium">{title}</span>
                                    <span class="block text-xs text-zinc-600 dark:text-zinc-400">{about}</span>
                                </span>
                            </label>
                        }
                    }).collect_view()}
                </div>
                <Show when=move || target_kind.get() == "observation">
                    <fieldset class="space-y-2">
                        <legend class=LABEL>{t_string!(i18n, evaluators.target.types)}</legend>
                        <div class="flex flex-wrap gap-x-4 gap-y-1">
                            {ObservationType::ALL.iter().copied().map(|t| view! {
                                <label class="flex items-center gap-1.5 text-sm">
                                    <input type="checkbox" data-testid="evaluator-observation-type" value=t.as_str()
                                        prop:checked=move || obs_types.with(|list| list.contains(&t))
                                        on:change=move |ev| {
                                            let on = event_target_checked(&ev);
                                            obs_types.update(|list| { list.retain(|x| *x != t); if on { list.push(t) } });
                                        } />
                                    {crate::components::waterfall::type_name(locale, t)}
                                </label>
                            }).collect_view()}
                        </div>
                        <p class=HINT>{t_string!(i18n, evaluators.target.types_hint)}</p>
                        <label class="block max-w-md">
                            <span class=LABEL>{t_string!(i18n, evaluators.target.observation_name)}</span>
                            <input type="text" class=format!("{INPUT} mt-1") data-testid="evaluator-observation-name" translate="no"
                                placeholder=td_string!(locale, evaluators.target.observation_name_placeholder)
                                prop:value=move || obs_name.get() on:input=move |ev| obs_name.set(event_target_value(&ev)) />
                        </label>
                    </fieldset>
                </Show>
                <Show when=move || target_kind.get() == "dataset_run">
                    <label class="block max-w-md">
                        <span class=LABEL>{t_string!(i18n, evaluators.target.dataset)}</span>
                        <select class=format!("{SELECT} mt-1 w-full") data-testid="evaluator-dataset"
                            on:change=move |ev| dataset_id.set(event_target_value(&ev))>
                            <option value="" selected=move || dataset_id.with(|d| d.is_empty())>{t_string!(i18n, evaluators.target.all_datasets)}</option>
                            {datasets.clone().into_iter().map(|(id, label)| {
                                let value = id.clone();
                                view! { <option value=id selected=move || dataset_id.get() == value translate="no">{label}</option> }
                            }).collect_view()}
                        </select>
                    </label>
                </Show>
            </FormSection>

            <FormSection step=5 title=td_string!(locale, evaluators.form.filter_title) hint=td_string!(locale, evaluators.form.filter_hint) test_id="section-filter">
                {move || if dataset.get() {
                    view! { <p class="text-sm text-zinc-600 dark:text-zinc-400" data-testid="filter-not-for-datasets">{td_string!(locale, evaluators.filter.not_for_datasets)}</p> }.into_any()
                } else {
                    view! { <FilterEditor filter problem=filter_issue /> }.into_any()
                }}
            </FormSection>

            <FormSection step=6 title=td_string!(locale, evaluators.form.sampling_title) hint=td_string!(locale, evaluators.form.sampling_hint) test_id="section-sampling">
                <div class="grid grid-cols-1 gap-4 sm:grid-cols-2">
                    <div class="min-w-0">
                        <label class=LABEL for="evaluator-sampling">{t_string!(i18n, evaluators.form.sampling)}</label>
                        <div class="mt-2 flex items-center gap-3">
                            <input id="evaluator-sampling" type="range" min="1" max="100" step="1" class="min-w-0 flex-1 accent-indigo-600" data-testid="evaluator-sampling"
                                prop:value=move || sampling.get().round().to_string()
                                on:input=move |ev| { if let Ok(v) = event_target_value(&ev).parse::<f64>() { sampling.set(v.clamp(1.0, 100.0)) } } />
                            <span class="w-16 shrink-0 text-right font-mono text-sm tabular-nums" data-testid="evaluator-sampling-value">{move || percent(sampling.get() / 100.0)}</span>
                        </div>
                        {field_error("sampling")}
                    </div>
                    <label class="block min-w-0">
                        <span class=LABEL>{t_string!(i18n, evaluators.form.delay)}</span>
                        <input type="number" min="0" max=(MAX_DELAY_MS / 1000).to_string() step="1" class=move || format!("{INPUT} mt-1 w-32 {}", invalid("delayMs")()) data-testid="evaluator-delay"
                            prop:value=move || delay.get() on:input=move |ev| delay.set(event_target_value(&ev)) />
                        <span class=HINT>{t_string!(i18n, evaluators.form.delay_hint)}</span>
                        {field_error("delayMs")}
                    </label>
                </div>
            </FormSection>

            <FormSection step=7 title=td_string!(locale, evaluators.form.mapping_title) hint=td_string!(locale, evaluators.form.mapping_hint) test_id="section-mapping">
                <MappingRows mapping dataset problem=shown />
                {field_error("mapping")}
                <div class="border-t border-zinc-200 pt-3 dark:border-zinc-800">
                    <h3 class="mb-2 text-sm font-semibold">{t_string!(i18n, evaluators.preview.title)}</h3>
                    <MappingPreview project_id=project_id.get_value() request=preview_request trace_id=preview_trace />
                </div>
            </FormSection>

            <div class="sticky bottom-0 z-10 -mx-4 space-y-2 border-t border-zinc-200 bg-white/95 px-4 py-3 backdrop-blur sm:-mx-8 sm:px-8 dark:border-zinc-800 dark:bg-zinc-950/95">
                {move || shown.get().map(|(field, message)| view! {
                    <p class="text-sm text-red-700 dark:text-red-400" role="alert" data-testid="evaluator-form-error" data-field=field.clone()>
                        <span class="font-medium">{field_label(locale, &field)}": "</span>{message}
                    </p>
                })}
                <ErrorAlert error=Signal::derive(move || server_error.get().filter(|e| !matches!(e, AppError::Invalid { .. }))) />
                <div class="flex flex-wrap items-center gap-2">
                    <button type="submit" class=BUTTON_PRIMARY data-testid="save-evaluator" disabled=move || pending.get() || no_connections>
                        {move || if pending.get() { td_string!(locale, evaluators.form.saving) } else { submit_label }}
                    </button>
                    <a class=BUTTON_SECONDARY href=cancel_href>{t_string!(i18n, evaluators.form.cancel)}</a>
                </div>
            </div>
        </form>
    }
}

/// Brings the first field error into view (the form is long; the message is also in the bar).
fn scroll_to_problem() {
    #[cfg(feature = "hydrate")]
    leptos::task::spawn_local(async {
        // After the error has rendered.
        super::sleep(0).await;
        if let Some(el) = leptos::prelude::document().query_selector("[data-testid=field-error], [data-testid=mapping-error], [data-testid=evaluator-filter-error]").ok().flatten() {
            el.scroll_into_view_with_bool(false);
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::evaluators::{builtin_template, MappingSource, VariableMapping};

    fn input() -> EvaluatorInput {
        EvaluatorInput {
            name: "Relevance".into(),
            score_name: None,
            template_id: "builtin:relevance".into(),
            connection: "openai".into(),
            model: "gpt-4o".into(),
            target: EvaluatorTarget::Trace,
            filter: Default::default(),
            sampling: 0.5,
            delay_ms: 0,
            mapping: vec![
                VariableMapping { variable: "input".into(), source: MappingSource::Input, json_path: None },
                VariableMapping { variable: "output".into(), source: MappingSource::Output, json_path: None },
            ],
        }
    }

    #[test]
    fn problems_name_their_field_in_the_persons_language() {
        let template = builtin_template("builtin:relevance").unwrap();
        let problem = |locale: Locale, change: &dyn Fn(&mut EvaluatorInput)| {
            let mut i = input();
            change(&mut i);
            form_problem(locale, &i, &template)
        };
        assert_eq!(problem(Locale::en, &|_| {}), None);
        assert_eq!(problem(Locale::en, &|i| i.name = " ".into()), Some(("name".into(), "A name is required.".into())));
        assert_eq!(problem(Locale::zh, &|i| i.name = " ".into()), Some(("name".into(), "名称为必填项。".into())));
        let (field, message) = problem(Locale::en, &|i| { i.mapping.pop(); }).unwrap();
        assert_eq!((field.as_str(), message.as_str()), ("mapping", "The variable output has no source."));
        assert_eq!(problem(Locale::en, &|i| i.mapping[0].source = MappingSource::ExpectedOutput).unwrap().0, "mapping[0].source");
        assert_eq!(problem(Locale::en, &|i| i.delay_ms = -1).unwrap().0, "delayMs");
        assert_eq!(problem(Locale::en, &|i| i.connection = String::new()).unwrap().0, "connection");
        // The filter is the traces list's, worded by its own rules.
        assert_eq!(problem(Locale::en, &|i| i.filter.range = "24h".into()).unwrap().0, "filter.range");
        let (field, message) = problem(Locale::en, &|i| i.filter.latency_min = "fast".into()).unwrap();
        assert_eq!(field, "filter.latency_min");
        assert_eq!(message, crate::domain::trace_list::QueryProblem::NotANumber("fast".into()).to_string());
    }

    #[test]
    fn fields_away_from_the_form_read_as_their_labels() {
        assert_eq!(field_label(Locale::en, "mapping[1].jsonPath"), "Variable mapping");
        assert_eq!(field_label(Locale::en, "filter.tag"), "Tag");
        assert_eq!(field_label(Locale::en, "scoreName"), "Score name");
        assert_eq!(field_label(Locale::zh, "delayMs"), "延迟（秒）");
    }
}
