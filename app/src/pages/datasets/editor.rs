//! The datasets pages' forms: a dataset (name with folders, description, metadata JSON) and an
//! item (optional id, input, expected output, metadata: JSON editors checked as one types). A
//! problem the server reports is shown under the field it names.

use leptos::prelude::*;

use crate::components::dataset_picker::{all_json, JsonField};
use crate::components::ui::*;
use crate::domain::dataset_io::pretty;
use crate::domain::datasets::{check_name, check_item_id, Dataset, DatasetItem};
use crate::error::AppError;
use crate::i18n::*;
use crate::server_fns::datasets::{CreateDataset, DatasetInput, ItemInput, SaveDatasetItem, UpdateDataset};

/// The server's refusal when it names `field` (shown under that field), else nothing.
fn field_error(error: Signal<Option<AppError>>, field: &'static str) -> impl Fn() -> Option<String> + Send + Sync + Copy + 'static {
    move || match error.get() {
        Some(AppError::Invalid { field: f, message }) if f == field => Some(message),
        _ => None,
    }
}

/// The server's refusal when it names no field of the form (shown above the buttons).
fn other_error(error: Signal<Option<AppError>>, fields: &'static [&'static str]) -> Signal<Option<AppError>> {
    Signal::derive(move || error.get().filter(|e| !matches!(e, AppError::Invalid { field, .. } if fields.contains(&field.as_str()))))
}

fn problem_line(text: Option<String>, test_id: &'static str) -> impl IntoView {
    text.map(|t| view! { <p class="mt-1 text-xs text-red-700 dark:text-red-400" role="alert" data-testid=test_id>{t}</p> })
}

/// Creates a dataset, or (with `existing`) edits one.
#[component]
pub(super) fn DatasetForm(
    project_id: String,
    #[prop(default = None)] existing: Option<Dataset>,
    on_saved: Callback<Dataset>,
    on_cancel: Callback<()>,
) -> impl IntoView {
    let locale = use_i18n().get_locale_untracked();
    let editing_id = existing.as_ref().map(|d| d.id.clone());
    let name = RwSignal::new(existing.as_ref().map(|d| d.name.clone()).unwrap_or_default());
    let description = RwSignal::new(existing.as_ref().and_then(|d| d.description.clone()).unwrap_or_default());
    let metadata = RwSignal::new(existing.as_ref().map(|d| pretty(&d.metadata)).unwrap_or_default());
    let create = ServerAction::<CreateDataset>::new();
    let update = ServerAction::<UpdateDataset>::new();
    Effect::new(move |_| {
        if let Some(Ok(saved)) = create.value().get().or_else(|| update.value().get()) {
            on_saved.run(saved);
        }
    });
    let error = Signal::derive(move || action_error(create).get().or_else(|| action_error(update).get()));
    // The name's rules, as typed (the server checks the same, and whether it is taken).
    let name_problem = Memo::new(move |_| name.with(|n| if n.trim().is_empty() { None } else { check_name(n.trim()).err() }));
    let pending = Signal::derive(move || create.pending().get() || update.pending().get());
    let is_edit = editing_id.is_some();
    let project_id = StoredValue::new(project_id);
    let editing_id = StoredValue::new(editing_id);
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let input = DatasetInput { name: name.get_untracked(), description: description.get_untracked(), metadata: metadata.get_untracked() };
        match editing_id.get_value() {
            Some(dataset_id) => {
                update.dispatch(UpdateDataset { project_id: project_id.get_value(), dataset_id, dataset: input });
            }
            None => {
                create.dispatch(CreateDataset { project_id: project_id.get_value(), dataset: input });
            }
        }
    };
    let name_error = field_error(error, "name");
    view! {
        <form class=format!("{CARD} mt-4 max-w-2xl space-y-4 p-4") on:submit=submit data-testid="dataset-form">
            <h2 class="text-sm font-semibold">{if is_edit { td_string!(locale, datasets.form.edit_title) } else { td_string!(locale, datasets.form.new_title) }}</h2>
            <div>
                <label class=LABEL for="dataset-name">{td_string!(locale, datasets.form.name)}</label>
                <input id="dataset-name" type="text" class=format!("{INPUT} mt-1") required maxlength="255" data-testid="dataset-name" translate="no"
                    placeholder=td_string!(locale, datasets.form.name_placeholder)
                    prop:value=move || name.get() on:input=move |ev| name.set(event_target_value(&ev)) />
                {move || match name_problem.get() {
                    Some(p) => problem_line(Some(super::words::dataset_problem(locale, &p.problem)), "dataset-name-error").into_any(),
                    None => match name_error() {
                        Some(message) => problem_line(Some(message), "dataset-name-error").into_any(),
                        None => view! { <p class=HINT>{td_string!(locale, datasets.form.name_hint)}</p> }.into_any(),
                    },
                }}
                {is_edit.then(|| view! { <p class="mt-1 text-xs text-amber-700 dark:text-amber-400">{td_string!(locale, datasets.form.rename_warning)}</p> })}
            </div>
            <label class="block">
                <span class=LABEL>{td_string!(locale, datasets.form.description)}</span>
                <textarea class=format!("{INPUT} mt-1") rows="2" data-testid="dataset-description" translate="no"
                    prop:value=move || description.get() on:input=move |ev| description.set(event_target_value(&ev))></textarea>
            </label>
            <div>
                <JsonField label=td_string!(locale, datasets.fields.metadata) field="metadata" value=metadata test_id="dataset-metadata" rows=3 />
                {move || problem_line(field_error(error, "metadata")(), "dataset-metadata-server-error")}
            </div>
            <ErrorAlert error=other_error(error, &["name", "metadata"]) />
            <div class="flex flex-wrap gap-2">
                <button type="submit" class=BUTTON_PRIMARY data-testid="save-dataset"
                    disabled=move || pending.get() || name_problem.get().is_some() || !all_json(&[metadata])>
                    {if is_edit { td_string!(locale, datasets.form.save) } else { td_string!(locale, datasets.form.create) }}
                </button>
                <button type="button" class=BUTTON_SECONDARY on:click=move |_| on_cancel.run(())>{td_string!(locale, datasets.form.cancel)}</button>
            </div>
        </form>
    }
}

/// A new item of the dataset, or (with `existing`) its next version.
#[component]
pub(super) fn ItemForm(
    project_id: String,
    dataset_id: String,
    #[prop(default = None)] existing: Option<DatasetItem>,
    on_saved: Callback<DatasetItem>,
    on_cancel: Callback<()>,
) -> impl IntoView {
    let locale = use_i18n().get_locale_untracked();
    let is_edit = existing.is_some();
    let id = RwSignal::new(existing.as_ref().map(|i| i.id.clone()).unwrap_or_default());
    let input = RwSignal::new(existing.as_ref().map(|i| pretty(&i.input)).unwrap_or_default());
    let expected = RwSignal::new(existing.as_ref().map(|i| pretty(&i.expected_output)).unwrap_or_default());
    let metadata = RwSignal::new(existing.as_ref().map(|i| pretty(&i.metadata)).unwrap_or_default());
    let save = ServerAction::<SaveDatasetItem>::new();
    Effect::new(move |_| {
        if let Some(Ok(saved)) = save.value().get() {
            on_saved.run(saved);
        }
    });
    let error = action_error(save);
    let id_problem = Memo::new(move |_| id.with(|i| if i.trim().is_empty() { None } else { check_item_id(i.trim()).err() }));
    let input_missing = Memo::new(move |_| input.with(|i| i.trim().is_empty()));
    let stored = StoredValue::new((project_id, dataset_id));
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let (project_id, dataset_id) = stored.get_value();
        save.dispatch(SaveDatasetItem {
            project_id,
            dataset_id,
            item: ItemInput {
                id: Some(id.get_untracked()).filter(|i| !i.trim().is_empty()),
                input: input.get_untracked(),
                expected_output: expected.get_untracked(),
                metadata: metadata.get_untracked(),
                source_trace_id: None,
                source_observation_id: None,
            },
            create: !is_edit,
        });
    };
    let id_error = field_error(error, "id");
    view! {
        <form class=format!("{CARD} mt-4 space-y-4 p-4") on:submit=submit data-testid="item-form">
            <div class="flex flex-wrap items-baseline justify-between gap-2">
                <h2 class="text-sm font-semibold">{if is_edit { td_string!(locale, datasets.item_form.edit_title) } else { td_string!(locale, datasets.item_form.new_title) }}</h2>
                {is_edit.then(|| view! { <p class="text-xs text-zinc-500 dark:text-zinc-400">{td_string!(locale, datasets.item_form.new_version_hint)}</p> })}
            </div>
            {(!is_edit).then(|| view! {
                <div>
                    <label class=LABEL for="item-id">{td_string!(locale, datasets.item_form.id)}</label>
                    <input id="item-id" type="text" class=format!("{INPUT} mt-1 max-w-md font-mono text-xs") data-testid="item-id" translate="no"
                        placeholder=td_string!(locale, datasets.item_form.id_placeholder)
                        prop:value=move || id.get() on:input=move |ev| id.set(event_target_value(&ev)) />
                    {move || match id_problem.get() {
                        Some(p) => problem_line(Some(super::words::dataset_problem(locale, &p.problem)), "item-id-error").into_any(),
                        None => problem_line(id_error(), "item-id-error").into_any(),
                    }}
                </div>
            })}
            <div class="grid grid-cols-[minmax(0,1fr)] gap-4 lg:grid-cols-2">
                <div>
                    <JsonField label=td_string!(locale, datasets.fields.input) field="input" value=input test_id="item-input" rows=10 />
                    {move || problem_line(field_error(error, "input")(), "item-input-server-error")}
                </div>
                <div>
                    <JsonField label=td_string!(locale, datasets.fields.expected_output) field="expectedOutput" value=expected test_id="item-expected" rows=10 />
                    {move || problem_line(field_error(error, "expectedOutput")(), "item-expected-server-error")}
                </div>
            </div>
            <div>
                <JsonField label=td_string!(locale, datasets.fields.metadata) field="metadata" value=metadata test_id="item-metadata" rows=3 />
                {move || problem_line(field_error(error, "metadata")(), "item-metadata-server-error")}
            </div>
            <ErrorAlert error=other_error(error, &["id", "input", "expectedOutput", "metadata"]) />
            <div class="flex flex-wrap items-center gap-2">
                <button type="submit" class=BUTTON_PRIMARY data-testid="save-item"
                    disabled=move || save.pending().get() || id_problem.get().is_some() || input_missing.get() || !all_json(&[input, expected, metadata])>
                    {if is_edit { td_string!(locale, datasets.item_form.save) } else { td_string!(locale, datasets.item_form.create) }}
                </button>
                <button type="button" class=BUTTON_SECONDARY on:click=move |_| on_cancel.run(())>{td_string!(locale, datasets.item_form.cancel)}</button>
                {move || input_missing.get().then(|| view! { <span class=HINT>{td_string!(locale, datasets.item_form.input_required)}</span> })}
            </div>
        </form>
    }
}
