//! The variable mapping (each of the template's `{{variables}}` from the target's input, output,
//! metadata or — for dataset runs — the item's expected output, optionally narrowed by a JSON
//! path) and its live preview on a real trace of the project: each variable's value, or the
//! error its execution would end with, and the compiled prompt.

use leptos::prelude::*;

use super::{source_label, trace_href};
use crate::components::ui::*;
use crate::domain::evaluators::{EvaluatorInput, EvaluatorTarget, MappingSource, Preview, VariableMapping};
use crate::domain::trace_list::TraceListQuery;
use crate::i18n::*;
use crate::server_fns::evaluators::preview_evaluator;

/// The source a variable most likely comes from, by its name: `input`/`question`/`query` from the
/// input, `expected_output`/`reference` from the dataset item (else the output), `context` from
/// the input (retrieval results are usually passed in), the rest from the output.
pub(crate) fn default_source(variable: &str, dataset: bool) -> MappingSource {
    let v = variable.to_ascii_lowercase();
    if v.contains("expected") || v.contains("reference") || v.contains("ground_truth") {
        return if dataset { MappingSource::ExpectedOutput } else { MappingSource::Output };
    }
    if v.contains("metadata") {
        return MappingSource::Metadata;
    }
    if v.contains("input") || v.contains("question") || v.contains("query") || v.contains("context") || v.contains("request") || v.contains("prompt") {
        return MappingSource::Input;
    }
    MappingSource::Output
}

/// The mapping for `variables`, keeping what was chosen for a variable already mapped (switching
/// templates back and forth loses nothing) and defaulting the rest by name. An expected output
/// chosen for a dataset target falls back to the output when the target is no longer one.
pub(crate) fn mapping_for(variables: &[String], previous: &[VariableMapping], dataset: bool) -> Vec<VariableMapping> {
    variables
        .iter()
        .map(|variable| {
            let mut m = previous
                .iter()
                .find(|m| &m.variable == variable)
                .cloned()
                .unwrap_or_else(|| VariableMapping { variable: variable.clone(), source: default_source(variable, dataset), json_path: None });
            if m.source == MappingSource::ExpectedOutput && !dataset {
                m.source = MappingSource::Output;
            }
            m
        })
        .collect()
}

/// One row per variable: the source and an optional JSON path. `problem` names a row's field
/// (`mapping[1].jsonPath`) when the form or the server found something wrong with it.
#[component]
pub(crate) fn MappingRows(mapping: RwSignal<Vec<VariableMapping>>, dataset: Memo<bool>, problem: Signal<Option<(String, String)>>) -> impl IntoView {
    let i18n = use_i18n();
    let locale = i18n.get_locale_untracked();
    let count = Memo::new(move |_| mapping.with(|m| m.len()));
    view! {
        <div class="space-y-2" data-testid="mapping-rows">
            {move || if count.get() == 0 {
                view! { <p class="text-sm text-zinc-500 dark:text-zinc-400">{td_string!(locale, evaluators.mapping.choose_template)}</p> }.into_any()
            } else {
                (0..count.get()).map(|i| {
                    let row = Memo::new(move |_| mapping.with(|m| m.get(i).cloned()));
                    let variable = move || row.with(|r| r.as_ref().map(|r| r.variable.clone()).unwrap_or_default());
                    let row_problem = move || problem.get().filter(|(field, _)| field.starts_with(&format!("mapping[{i}]"))).map(|(_, m)| m);
                    let sources = [MappingSource::Input, MappingSource::Output, MappingSource::Metadata, MappingSource::ExpectedOutput];
                    view! {
                        <div class="grid grid-cols-1 gap-2 rounded-md border border-zinc-200 p-2 sm:grid-cols-[minmax(8rem,1fr)_10rem_minmax(10rem,2fr)] sm:items-center sm:border-0 sm:p-0 dark:border-zinc-800"
                            data-testid="mapping-row" data-variable=variable>
                            <code class="truncate rounded bg-amber-100 px-1.5 py-1 text-xs text-amber-900 dark:bg-amber-900/40 dark:text-amber-200" translate="no">{move || format!("{{{{{}}}}}", variable())}</code>
                            <select class=format!("{SELECT} w-full") data-testid="mapping-source" aria-label=move || td_string!(locale, evaluators.mapping.source_of, variable = variable()).to_string()
                                on:change=move |ev| {
                                    let source = match event_target_value(&ev).as_str() {
                                        "input" => MappingSource::Input,
                                        "metadata" => MappingSource::Metadata,
                                        "expected_output" => MappingSource::ExpectedOutput,
                                        _ => MappingSource::Output,
                                    };
                                    mapping.update(|m| if let Some(r) = m.get_mut(i) { r.source = source });
                                }>
                                {sources.into_iter().map(|s| view! {
                                    <option value=s.as_str() selected=move || row.with(|r| r.as_ref().is_some_and(|r| r.source == s))
                                        disabled=move || s == MappingSource::ExpectedOutput && !dataset.get()>
                                        {source_label(locale, s)}
                                    </option>
                                }).collect_view()}
                            </select>
                            <input type="text" class=move || format!("{INPUT} font-mono text-xs {}", if row_problem().is_some() { "border-red-500 dark:border-red-500" } else { "" })
                                data-testid="mapping-path" translate="no" spellcheck="false" autocomplete="off"
                                placeholder=td_string!(locale, evaluators.mapping.path_placeholder)
                                aria-label=move || td_string!(locale, evaluators.mapping.path_of, variable = variable()).to_string()
                                prop:value=move || row.with(|r| r.as_ref().and_then(|r| r.json_path.clone()).unwrap_or_default())
                                on:input=move |ev| {
                                    let path = event_target_value(&ev);
                                    mapping.update(|m| if let Some(r) = m.get_mut(i) { r.json_path = (!path.trim().is_empty()).then_some(path) });
                                } />
                            {move || row_problem().map(|message| view! {
                                <p class="text-xs text-red-700 sm:col-span-3 dark:text-red-400" role="alert" data-testid="mapping-error">{message}</p>
                            })}
                        </div>
                    }
                }).collect_view().into_any()
            }}
            <p class=HINT>{t_string!(i18n, evaluators.mapping.path_hint)}</p>
        </div>
    }
}

/// What the preview is asked with: everything it depends on, so it reloads when any changes.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct PreviewRequest {
    pub template_id: String,
    pub target: EvaluatorTarget,
    pub filter: TraceListQuery,
    pub mapping: Vec<VariableMapping>,
    /// A trace chosen by id; `None`: the latest matching.
    pub trace_id: Option<String>,
}

/// The live preview: reloads a moment after the mapping, target, filter or chosen trace last
/// changed (typing a JSON path asks once, not per key).
#[component]
pub(crate) fn MappingPreview(project_id: String, request: Memo<Option<PreviewRequest>>, trace_id: RwSignal<String>) -> impl IntoView {
    let i18n = use_i18n();
    let locale = i18n.get_locale_untracked();
    // The request as of the last pause in typing.
    let settled = RwSignal::new(None::<PreviewRequest>);
    let debounce = Debounce::new();
    Effect::new(move |_| {
        let now = request.get();
        debounce.schedule(move || { settled.try_set(now); });
    });
    let project_id = StoredValue::new(project_id);
    let preview = LocalResource::new(move || {
        let wanted = settled.get();
        async move {
            match wanted {
                None => None,
                Some(r) => {
                    // The preview reads the template, target, filter and mapping; the rest of
                    // the form may still be incomplete.
                    let evaluator = EvaluatorInput {
                        name: String::new(),
                        score_name: None,
                        template_id: r.template_id,
                        connection: String::new(),
                        model: String::new(),
                        target: r.target,
                        filter: r.filter,
                        sampling: 1.0,
                        delay_ms: 0,
                        mapping: r.mapping,
                    };
                    Some(preview_evaluator(project_id.get_value(), evaluator, r.trace_id).await)
                }
            }
        }
    });
    let trace_input = RwSignal::new(trace_id.get_untracked());
    view! {
        <div class="space-y-3" data-testid="mapping-preview">
            <div class="flex flex-wrap items-end gap-2">
                <label class="block min-w-0 flex-1">
                    <span class=LABEL>{t_string!(i18n, evaluators.preview.trace)}</span>
                    <input type="search" class=format!("{INPUT} mt-1 font-mono text-xs") data-testid="preview-trace" translate="no"
                        placeholder=td_string!(locale, evaluators.preview.latest)
                        prop:value=move || trace_input.get()
                        on:input=move |ev| trace_input.set(event_target_value(&ev))
                        on:change=move |ev| trace_id.set(event_target_value(&ev).trim().to_string())
                        on:keydown=move |ev: leptos::ev::KeyboardEvent| {
                            if ev.key() == "Enter" {
                                // Enter chooses the trace; it must not submit the evaluator's form.
                                ev.prevent_default();
                                trace_id.set(trace_input.get_untracked().trim().to_string());
                            }
                        } />
                </label>
                <button type="button" class=BUTTON_SECONDARY data-testid="preview-latest" disabled=move || trace_id.with(|t| t.is_empty())
                    on:click=move |_| { trace_input.set(String::new()); trace_id.set(String::new()); }>
                    {t_string!(i18n, evaluators.preview.use_latest)}
                </button>
                <button type="button" class=BUTTON_SECONDARY data-testid="preview-refresh" on:click=move |_| preview.refetch()>
                    {t_string!(i18n, evaluators.preview.refresh)}
                </button>
            </div>
            {move || match (settled.get().is_some(), preview.try_get().flatten()) {
                (false, _) => view! { <p class="text-sm text-zinc-500 dark:text-zinc-400" data-testid="preview-waiting">{td_string!(locale, evaluators.preview.needs_template)}</p> }.into_any(),
                (true, None) | (true, Some(None)) => view! { <Skeleton label=td_string!(locale, evaluators.preview.loading) /> }.into_any(),
                (true, Some(Some(Err(error)))) => view! {
                    <div data-testid="preview-failed">
                        <p class="mb-2 text-sm font-medium text-red-700 dark:text-red-400">{td_string!(locale, evaluators.preview.failed)}</p>
                        <LoadError error />
                    </div>
                }.into_any(),
                (true, Some(Some(Ok(preview)))) => view! { <PreviewResult preview project_id=project_id.get_value() /> }.into_any(),
            }}
        </div>
    }
}

#[component]
fn PreviewResult(preview: Preview, project_id: String) -> impl IntoView {
    let i18n = use_i18n();
    let locale = i18n.get_locale_untracked();
    let Some(trace) = preview.trace_id.clone() else {
        return view! {
            <div class="rounded-md border border-dashed border-zinc-300 px-4 py-6 text-center text-sm text-zinc-500 dark:border-zinc-700 dark:text-zinc-400" data-testid="preview-no-target">
                <p class="font-medium text-zinc-800 dark:text-zinc-200">{td_string!(locale, evaluators.preview.no_target_title)}</p>
                <p class="mt-1">{td_string!(locale, evaluators.preview.no_target_body)}</p>
            </div>
        }
        .into_any();
    };
    let href = trace_href(&project_id, &trace, preview.observation_id.as_deref());
    let missing = preview.variables.iter().filter(|v| v.problem.is_some()).count();
    view! {
        <div class="space-y-3" data-testid="preview-result" data-trace=trace.clone()>
            <p class="text-xs text-zinc-600 dark:text-zinc-400">
                {td_string!(locale, evaluators.preview.previewed_on)}" "
                <a class="font-mono text-indigo-700 hover:underline dark:text-indigo-300" href=href target="_blank" rel="noopener" translate="no" data-testid="preview-trace-link">{trace.clone()}</a>
                {preview.observation_id.clone().map(|o| view! { " · "<span class="font-mono" translate="no">{o}</span> })}
            </p>
            <ul class="divide-y divide-zinc-200 rounded-md border border-zinc-200 dark:divide-zinc-800 dark:border-zinc-800">
                {preview.variables.iter().map(|v| {
                    let ok = v.problem.is_none();
                    view! {
                        <li class="px-3 py-2" data-testid="preview-variable" data-variable=v.variable.clone() data-ok=ok.to_string()>
                            <div class="flex flex-wrap items-baseline gap-x-2 text-xs">
                                <code class="font-semibold" translate="no">{format!("{{{{{}}}}}", v.variable)}</code>
                                {v.source.map(|s| view! { <span class="text-zinc-500 dark:text-zinc-400">{source_label(locale, s)}</span> })}
                                {v.json_path.clone().map(|p| view! { <code class="text-zinc-500 dark:text-zinc-400" translate="no">{p}</code> })}
                            </div>
                            {match (&v.value, &v.problem) {
                                (_, Some(problem)) => view! {
                                    <p class="mt-1 text-sm text-red-700 dark:text-red-400" role="alert" data-testid="preview-problem" translate="no">{problem.clone()}</p>
                                }.into_any(),
                                (Some(value), None) => view! {
                                    <pre class="mt-1 max-h-40 overflow-auto whitespace-pre-wrap break-words rounded bg-zinc-50 px-2 py-1 font-mono text-xs dark:bg-zinc-900"
                                        data-testid="preview-value" translate="no">{value.clone()}</pre>
                                }.into_any(),
                                (None, None) => view! { <p class="mt-1 text-xs text-zinc-500">"—"</p> }.into_any(),
                            }}
                        </li>
                    }
                }).collect_view()}
            </ul>
            {match preview.prompt.clone() {
                Some(prompt) => view! {
                    <details class="rounded-md border border-zinc-200 dark:border-zinc-800" open data-testid="preview-prompt">
                        <summary class="cursor-pointer px-3 py-2 text-sm font-medium">{td_string!(locale, evaluators.preview.compiled)}</summary>
                        <pre class="max-h-96 overflow-auto whitespace-pre-wrap break-words border-t border-zinc-200 px-3 py-2 font-mono text-xs dark:border-zinc-800" translate="no">{prompt}</pre>
                    </details>
                }.into_any(),
                None => view! {
                    <p class="text-sm text-amber-800 dark:text-amber-300" data-testid="preview-incomplete">
                        {td_string!(locale, evaluators.preview.incomplete, count = missing).to_string()}
                    </p>
                }.into_any(),
            }}
        </div>
    }
    .into_any()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn variables_get_sources_by_name_and_keep_choices() {
        assert_eq!(default_source("input", false), MappingSource::Input);
        assert_eq!(default_source("context", false), MappingSource::Input);
        assert_eq!(default_source("output", false), MappingSource::Output);
        assert_eq!(default_source("expected_output", true), MappingSource::ExpectedOutput);
        assert_eq!(default_source("expected_output", false), MappingSource::Output);
        let vars = vec!["input".to_string(), "output".to_string()];
        let chosen = vec![VariableMapping { variable: "output".into(), source: MappingSource::Metadata, json_path: Some("$.a".into()) }];
        let m = mapping_for(&vars, &chosen, false);
        assert_eq!(m[0].source, MappingSource::Input);
        assert_eq!((m[1].source, m[1].json_path.as_deref()), (MappingSource::Metadata, Some("$.a")));
        let expected = vec![VariableMapping { variable: "input".into(), source: MappingSource::ExpectedOutput, json_path: None }];
        assert_eq!(mapping_for(&vars, &expected, false)[0].source, MappingSource::Output, "no expected output outside dataset runs");
    }
}
