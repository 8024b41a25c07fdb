//! "Add to dataset" (#21): on the trace page, a trace or an observation becomes a dataset item
//! (input → input, output → expected output, metadata → metadata, editable before saving, the
//! source ids kept); in the traces list's bulk bar, each selected trace becomes one. Also the
//! JSON editor the item forms share. The explorer's pages hold only the two buttons: the form
//! and the menu are page tools (`components::on_demand`), their code fetched when needed, since
//! few page views ever add to a dataset.

use leptos::prelude::*;

use crate::components::on_demand::{menu_on_demand, on_demand, page_tool, Tool};
use crate::components::ui::*;
use crate::domain::dataset_io::{parse_json_field, pretty};
use crate::i18n::*;
use crate::server_fns::datasets::{dataset_item_draft, list_dataset_names, AddTracesToDataset, ItemInput, SaveDatasetItem};

/// A JSON text area checked as one types: the problem (with line and column, naming the field)
/// under it. Blank means "none".
#[component]
pub fn JsonField(
    /// The field's label.
    label: &'static str,
    /// The field's name in errors (`input`, `expectedOutput`, `metadata`).
    field: &'static str,
    value: RwSignal<String>,
    test_id: &'static str,
    #[prop(default = 6)] rows: u32,
    #[prop(optional)] hint: Option<&'static str>,
) -> impl IntoView {
    let locale = use_i18n().get_locale_untracked();
    let problem = Memo::new(move |_| value.with(|text| parse_json_field(text).err()));
    let id = format!("json-{test_id}");
    view! {
        <div>
            <label class=LABEL for=id.clone()>{label}</label>
            <textarea id=id class=move || format!("{INPUT} mt-1 font-mono text-xs {}", if problem.get().is_some() { "border-red-400 dark:border-red-700" } else { "" })
                rows=rows.to_string() spellcheck="false" translate="no" data-testid=test_id
                aria-invalid=move || problem.get().is_some().to_string()
                prop:value=move || value.get() on:input=move |ev| value.set(event_target_value(&ev))></textarea>
            {move || match problem.get() {
                Some(p) => view! {
                    <p class="mt-1 text-xs text-red-700 dark:text-red-400" role="alert" data-testid=format!("{test_id}-error")>
                        {crate::pages::datasets::words::json_problem(locale, field, p)}
                    </p>
                }.into_any(),
                None => view! { <p class=HINT>{hint.unwrap_or_else(|| td_string!(locale, datasets.editor.json_hint))}</p> }.into_any(),
            }}
        </div>
    }
}

/// Whether every given JSON text parses (the save buttons wait for it).
pub fn all_json(texts: &[RwSignal<String>]) -> bool {
    texts.iter().all(|t| t.with(|text| parse_json_field(text).is_ok()))
}

/// The item page's address.
pub fn item_href(project_id: &str, dataset_id: &str, item_id: &str) -> String {
    use crate::domain::url::encode_query;
    format!("/project/{project_id}/datasets/{}/items/{}", encode_query(dataset_id), encode_query(item_id))
}

/// "Add to dataset" for a trace (or one of its observations): opens a form prefilled from it.
/// Only for those who may write datasets (the server refuses the others too).
#[component]
pub fn AddToDataset(project_id: String, #[prop(into)] trace_id: Signal<String>, #[prop(optional)] observation_id: Option<String>) -> impl IntoView {
    let session = crate::components::session::use_session();
    let pid = project_id.clone();
    let can_write = Signal::derive(move || session.with(|s| s.and_then(|s| s.project(&pid)).is_some_and(|(_, p)| p.can(crate::domain::Action::WriteDatasets))));
    let open = RwSignal::new(false);
    let locale = use_i18n().get_locale_untracked();
    let test_id = if observation_id.is_some() { "add-observation-to-dataset" } else { "add-to-dataset" };
    let project_id = StoredValue::new(project_id);
    let observation_id = StoredValue::new(observation_id);
    view! {
        <Show when=move || can_write.get()>
            <button type="button" class=BUTTON_SECONDARY data-testid=test_id aria-expanded=move || open.get().to_string()
                on:click=move |_| open.update(|o| *o = !*o)>{td_string!(locale, datasets.add.button)}</button>
            <Show when=move || open.get()>
                {on_demand(move || page_tool(Tool::AddToDataset {
                    project_id: project_id.get_value(),
                    trace_id: trace_id.get_untracked(),
                    observation_id: observation_id.get_value(),
                    on_close: Callback::new(move |_| open.set(false)),
                }))}
            </Show>
        </Show>
    }
}

/// The form (`Tool::AddToDataset`, loaded on demand).
#[component]
pub(crate) fn AddToDatasetForm(project_id: String, trace_id: String, observation_id: Option<String>, on_close: Callback<()>) -> impl IntoView {
    let locale = use_i18n().get_locale_untracked();
    let pid = project_id.clone();
    let names = LocalResource::new(move || list_dataset_names(pid.clone()));
    let (pid, tid, oid) = (project_id.clone(), trace_id.clone(), observation_id.clone());
    let draft = LocalResource::new(move || dataset_item_draft(pid.clone(), tid.clone(), oid.clone()));
    let dataset = RwSignal::new(String::new());
    let input = RwSignal::new(String::new());
    let expected = RwSignal::new(String::new());
    let metadata = RwSignal::new(String::new());
    // The draft fills the editors once it arrives; later edits are the person's.
    Effect::new(move |filled: Option<bool>| {
        if filled == Some(true) {
            return true;
        }
        match draft.try_get().flatten() {
            Some(Ok(d)) => {
                input.set(pretty(&d.input));
                expected.set(pretty(&d.expected_output));
                metadata.set(pretty(&d.metadata));
                true
            }
            _ => false,
        }
    });
    // The first dataset is chosen until the person picks one.
    Effect::new(move |_| {
        if let Some(Ok(list)) = names.try_get().flatten() {
            if dataset.with_untracked(String::is_empty) {
                if let Some((id, _)) = list.first() {
                    dataset.set(id.clone());
                }
            }
        }
    });
    let save = ServerAction::<SaveDatasetItem>::new();
    let stored = StoredValue::new((project_id.clone(), trace_id, observation_id));
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let (project_id, trace_id, observation_id) = stored.get_value();
        save.dispatch(SaveDatasetItem {
            project_id,
            dataset_id: dataset.get_untracked(),
            item: ItemInput {
                id: None,
                input: input.get_untracked(),
                expected_output: expected.get_untracked(),
                metadata: metadata.get_untracked(),
                source_trace_id: Some(trace_id),
                source_observation_id: observation_id,
            },
            create: true,
        });
    };
    let datasets_href = format!("/project/{project_id}/datasets");
    let project = StoredValue::new(project_id);
    let ready = move || all_json(&[input, expected, metadata]) && !dataset.get().is_empty() && !save.pending().get();
    view! {
        <form class=format!("{CARD} mt-2 max-w-2xl space-y-3 p-3") on:submit=submit data-testid="add-to-dataset-form">
            {move || match names.try_get().flatten() {
                None => view! { <Skeleton label=td_string!(locale, datasets.add.loading) /> }.into_any(),
                Some(Err(error)) => view! { <LoadError error /> }.into_any(),
                Some(Ok(list)) if list.is_empty() => view! {
                    <p class="text-sm text-zinc-600 dark:text-zinc-400" data-testid="no-datasets-to-add">{td_string!(locale, datasets.add.no_datasets)}" "
                        <a class=BUTTON_LINK href=datasets_href.clone()>{td_string!(locale, datasets.add.create_one)}</a></p>
                }.into_any(),
                Some(Ok(list)) => view! {
                    <label class="block">
                        <span class=LABEL>{td_string!(locale, datasets.add.dataset)}</span>
                        <select class=format!("{SELECT} mt-1 w-full max-w-md") data-testid="add-to-dataset-select" translate="no"
                            prop:value=move || dataset.get() on:change=move |ev| dataset.set(event_target_value(&ev))>
                            {list.into_iter().map(|(id, name)| view! { <option value=id>{name}</option> }).collect_view()}
                        </select>
                    </label>
                }.into_any(),
            }}
            {move || match draft.try_get().flatten() {
                None => Some(view! { <Skeleton label=td_string!(locale, datasets.add.loading_source) /> }.into_any()),
                Some(Err(error)) => Some(view! { <LoadError error /> }.into_any()),
                Some(Ok(_)) => None,
            }}
            <JsonField label=td_string!(locale, datasets.fields.input) field="input" value=input test_id="add-input" />
            <JsonField label=td_string!(locale, datasets.fields.expected_output) field="expectedOutput" value=expected test_id="add-expected" />
            <JsonField label=td_string!(locale, datasets.fields.metadata) field="metadata" value=metadata test_id="add-metadata" rows=3 />
            <ErrorAlert error=action_error(save) />
            {move || save.value().get().and_then(Result::ok).map(|item| {
                let href = item_href(&project.get_value(), &item.dataset_id, &item.id);
                view! {
                    <p class="text-sm text-emerald-700 dark:text-emerald-400" role="status" data-testid="added-to-dataset">
                        {td_string!(locale, datasets.add.added, dataset = item.dataset_name.clone()).to_string()}" "
                        <a class=BUTTON_LINK href=href>{td_string!(locale, datasets.add.open_item)}</a>
                    </p>
                }
            })}
            <div class="flex flex-wrap gap-2">
                <button type="submit" class=BUTTON_PRIMARY data-testid="add-to-dataset-save" disabled=move || !ready()>{td_string!(locale, datasets.add.save)}</button>
                <button type="button" class=BUTTON_SECONDARY on:click=move |_| on_close.run(())>{td_string!(locale, datasets.add.close)}</button>
            </div>
        </form>
    }
}

/// The traces list's bulk action: each selected trace becomes an item of the chosen dataset. The
/// menu loads on the first click.
#[component]
pub fn AddTracesToDatasetMenu(project_id: String, #[prop(into)] trace_ids: Signal<Vec<String>>) -> impl IntoView {
    let locale = use_i18n().get_locale_untracked();
    let project_id = StoredValue::new(project_id);
    menu_on_demand("bulk-add-to-dataset", None, move || td_string!(locale, datasets.add.button), move |open| {
        page_tool(Tool::TracesToDataset { project_id: project_id.get_value(), trace_ids, open })
    })
}

/// The menu itself (`Tool::TracesToDataset`, loaded on demand).
#[component]
pub(crate) fn TracesToDatasetMenu(project_id: String, trace_ids: Signal<Vec<String>>, open: RwSignal<bool>) -> impl IntoView {
    let locale = use_i18n().get_locale_untracked();
    let add = ServerAction::<AddTracesToDataset>::new();
    let chosen = RwSignal::new((String::new(), String::new()));
    let project_id = StoredValue::new(project_id);
    let names = LocalResource::new(move || {
        let wanted = open.get();
        let project_id = project_id.get_value();
        async move { if wanted { Some(list_dataset_names(project_id).await) } else { None } }
    });
    let choose = move |id: String, name: String| {
        chosen.set((id.clone(), name));
        add.dispatch(AddTracesToDataset { project_id: project_id.get_value(), dataset_id: id, trace_ids: trace_ids.get_untracked() });
        open.set(false);
    };
    let datasets_href = format!("/project/{}/datasets", project_id.get_value());
    view! {
        <div class="flex flex-wrap items-center gap-2">
            <Dropdown test_id="bulk-add-to-dataset" button_class=BUTTON_SECONDARY role="menu" open menu_class="left-0 w-72 max-h-80 overflow-y-auto py-1" menu_test_id="dataset-menu"
                trigger=move || td_string!(locale, datasets.add.button)>
                {
                    let datasets_href = datasets_href.clone();
                    move || match names.try_get().flatten().flatten() {
                        None => view! { <p class="px-3 py-2 text-sm text-zinc-500">{td_string!(locale, datasets.add.loading)}</p> }.into_any(),
                        Some(Err(error)) => view! { <div class="px-3 py-2"><LoadError error /></div> }.into_any(),
                        Some(Ok(list)) if list.is_empty() => view! {
                            <p class="px-3 py-2 text-sm text-zinc-500">{td_string!(locale, datasets.add.no_datasets)}" "
                                <a class=BUTTON_LINK href=datasets_href.clone()>{td_string!(locale, datasets.add.create_one)}</a></p>
                        }.into_any(),
                        Some(Ok(list)) => list.into_iter().map(|(id, name)| {
                            let label = name.clone();
                            view! {
                                <button type="button" role="menuitem" class=format!("{MENU_ITEM} w-full text-left") data-testid="dataset-option" data-name=name.clone() translate="no"
                                    on:click=move |_| choose(id.clone(), name.clone())>{label}</button>
                            }
                        }).collect_view().into_any(),
                    }
                }
            </Dropdown>
            {move || add.value().get().and_then(Result::ok).map(|added| {
                let (id, name) = chosen.get();
                let href = format!("/project/{}/datasets/{}", project_id.get_value(), crate::domain::url::encode_query(&id));
                view! {
                    <span class="text-xs text-emerald-700 dark:text-emerald-400" role="status" data-testid="added-to-dataset">
                        {td_string!(locale, datasets.add.added_many, count = added, dataset = name).to_string()}" "
                        <a class=BUTTON_LINK href=href>{td_string!(locale, datasets.add.open_dataset)}</a>
                    </span>
                }
            })}
            <ErrorAlert error=action_error(add) />
        </div>
    }
}
