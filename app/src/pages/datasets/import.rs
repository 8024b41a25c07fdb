//! Import and export of a dataset's items. Import: a CSV or JSONL file read in the browser
//! (`domain::dataset_io`), its first rows previewed, each column mapped to input / expected
//! output / metadata / id / ignore with what the rows become shown as one maps, then sent in
//! calls below the request size limit; the report lists the rows kept and every row left out
//! with its reason. Export: the current items (of the status filter) fetched page by page and
//! saved as CSV or JSONL.

use leptos::prelude::*;

use crate::components::ui::*;
use crate::domain::dataset_io::{
    apply_mapping, import_calls, preview, to_csv, to_jsonl, ColumnTarget, FileFormat, ImportReport, ParsedFile, RowProblem,
    EXPORT_PAGE_SIZE, MAX_IMPORT_ROWS, PREVIEW_ROWS,
};
use crate::domain::datasets::DatasetItem;
use crate::error::AppError;
use crate::i18n::*;
use crate::server_fns::datasets::{import_dataset_items, list_dataset_items};

/// Problems listed in a report; the rest are counted.
const SHOWN_PROBLEMS: usize = 200;

/// A file read for import: its name, format and content.
#[derive(Clone, PartialEq)]
struct LoadedFile {
    name: String,
    format: FileFormat,
    file: ParsedFile,
}

/// Where the import stands.
#[derive(Clone, PartialEq)]
enum Stage {
    Choosing,
    Sending { done: usize, total: usize },
    Done(ImportReport),
    Failed { report: ImportReport, error: AppError },
}

#[component]
pub(super) fn ImportPanel(project_id: String, dataset_id: String, on_imported: Callback<()>, on_close: Callback<()>) -> impl IntoView {
    let locale = use_i18n().get_locale_untracked();
    let loaded = RwSignal::new(None::<Result<LoadedFile, String>>);
    let mapping = RwSignal::new(Vec::<ColumnTarget>::new());
    let stage = RwSignal::new(Stage::Choosing);
    let reading = RwSignal::new(false);
    let on_file = move |ev: leptos::ev::Event| {
        let _ = &ev;
        #[cfg(feature = "hydrate")]
        {
            use crate::domain::dataset_io::{parse_file, MAX_IMPORT_FILE_BYTES};
            use leptos::wasm_bindgen::JsCast;
            let Some(input) = ev.target().and_then(|t| t.dyn_into::<leptos::web_sys::HtmlInputElement>().ok()) else { return };
            let Some(file) = input.files().and_then(|files| files.get(0)) else { return };
            let name = file.name();
            if file.size() > MAX_IMPORT_FILE_BYTES as f64 {
                loaded.set(Some(Err(td_string!(locale, datasets.import.file_too_big, max = MAX_IMPORT_FILE_BYTES / 1024 / 1024).to_string())));
                return;
            }
            reading.set(true);
            stage.set(Stage::Choosing);
            leptos::task::spawn_local(async move {
                let text = wasm_bindgen_futures::JsFuture::from(file.text()).await.ok().and_then(|v| v.as_string());
                reading.set(false);
                let Some(text) = text else {
                    loaded.set(Some(Err(td_string!(locale, datasets.import.file_unreadable).to_string())));
                    return;
                };
                let format = FileFormat::of_file_name(&name);
                match parse_file(format, &text) {
                    Ok(file) => {
                        mapping.set(ColumnTarget::guess_all(&file.columns));
                        loaded.set(Some(Ok(LoadedFile { name, format, file })));
                    }
                    Err(problem) => loaded.set(Some(Err(super::words::file_problem(locale, &problem)))),
                }
            });
        }
    };
    // What the mapping makes of the file: the rows to send and the rows left out.
    let mapped = Memo::new(move |_| {
        loaded.with(|l| match l {
            Some(Ok(f)) => mapping.with(|m| Some(apply_mapping(f.format, &f.file, m))),
            _ => None,
        })
    });
    let stored = StoredValue::new((project_id, dataset_id));
    let start = move |_| {
        let Some((rows, problems)) = mapped.get_untracked() else { return };
        let (project_id, dataset_id) = stored.get_value();
        let total = rows.len();
        let mut report = ImportReport { failed: problems, ..Default::default() };
        stage.set(Stage::Sending { done: 0, total });
        leptos::task::spawn_local(async move {
            let mut done = 0;
            for call in import_calls(rows) {
                let size = call.len();
                match import_dataset_items(project_id.clone(), dataset_id.clone(), call).await {
                    Ok(part) => report.merge(part),
                    Err(error) => {
                        // Rows sent before stay imported: say so with the error.
                        stage.set(Stage::Failed { report, error });
                        on_imported.run(());
                        return;
                    }
                }
                done += size;
                stage.set(Stage::Sending { done, total });
            }
            stage.set(Stage::Done(report));
            on_imported.run(());
        });
    };
    let sending = move || matches!(stage.get(), Stage::Sending { .. });
    view! {
        <section class=format!("{CARD} mt-4 space-y-4 p-4") data-testid="import-panel">
            <div class="flex flex-wrap items-baseline justify-between gap-2">
                <h2 class="text-sm font-semibold">{td_string!(locale, datasets.import.title)}</h2>
                <button type="button" class=BUTTON_LINK on:click=move |_| on_close.run(())>{td_string!(locale, datasets.import.close)}</button>
            </div>
            <p class="text-sm text-zinc-600 dark:text-zinc-400">{td_string!(locale, datasets.import.intro, max = MAX_IMPORT_ROWS).to_string()}</p>
            <label class="block">
                <span class=LABEL>{td_string!(locale, datasets.import.file)}</span>
                <input type="file" accept=".csv,.tsv,.txt,.jsonl,.ndjson,.json" class="mt-1 block w-full max-w-md text-sm file:mr-3 file:rounded-md file:border file:border-zinc-300 file:bg-white file:px-3 file:py-1.5 file:text-sm dark:file:border-zinc-700 dark:file:bg-zinc-900 dark:file:text-zinc-100"
                    data-testid="import-file" disabled=sending on:change=on_file />
            </label>
            {move || reading.get().then(|| view! { <Skeleton label=td_string!(locale, datasets.import.reading) /> })}
            {move || match loaded.get() {
                None => None,
                Some(Err(message)) => Some(view! {
                    <p class="rounded-md border border-red-200 bg-red-50 px-3 py-2 text-sm text-red-800 dark:border-red-900 dark:bg-red-950 dark:text-red-300" role="alert" data-testid="import-file-error">{message}</p>
                }.into_any()),
                Some(Ok(file)) => Some(view! { <Mapping file mapping /> }.into_any()),
            }}
            {move || mapped.get().map(|(rows, problems)| {
                let ready = rows.len();
                let left_out = problems.len();
                view! {
                    <RowPreview rows=rows.into_iter().take(PREVIEW_ROWS).collect() />
                    <p class="text-sm" data-testid="import-summary">
                        {td_string!(locale, datasets.import.ready, rows = ready).to_string()}
                        {(left_out > 0).then(|| format!(" {}", td_string!(locale, datasets.import.left_out, rows = left_out)))}
                    </p>
                    {(left_out > 0 && matches!(stage.get_untracked(), Stage::Choosing)).then(|| view! { <Problems problems test_id="import-problems" /> })}
                    <div class="flex flex-wrap items-center gap-2">
                        <button type="button" class=BUTTON_PRIMARY data-testid="start-import" disabled=move || ready == 0 || sending() on:click=start>
                            {td_string!(locale, datasets.import.start, rows = ready).to_string()}
                        </button>
                    </div>
                }
            })}
            {move || match stage.get() {
                Stage::Choosing => None,
                Stage::Sending { done, total } => Some(view! {
                    <p class="text-sm text-zinc-600 dark:text-zinc-400" role="status" data-testid="import-progress">{td_string!(locale, datasets.import.sending, done = done, total = total).to_string()}</p>
                }.into_any()),
                Stage::Done(report) => Some(view! { <Report report /> }.into_any()),
                Stage::Failed { report, error } => Some(view! {
                    <Report report />
                    <ErrorAlert error=Signal::derive(move || Some(error.clone())) />
                }.into_any()),
            }}
        </section>
    }
}

/// Each column with its target, and its first values.
#[component]
fn Mapping(file: LoadedFile, mapping: RwSignal<Vec<ColumnTarget>>) -> impl IntoView {
    let locale = use_i18n().get_locale_untracked();
    let rows: Vec<_> = file.file.rows.iter().take(PREVIEW_ROWS).cloned().collect();
    let columns = file.file.columns.clone();
    view! {
        <div>
            <p class="text-sm font-medium">{td_string!(locale, datasets.import.mapping_title, file = file.name.clone(), rows = file.file.rows.len() + file.file.problems.len()).to_string()}</p>
            <p class=HINT>{td_string!(locale, datasets.import.mapping_hint)}</p>
            <div class="mt-2 overflow-x-auto rounded-md border border-zinc-200 dark:border-zinc-800">
                <table class="w-full text-left text-xs" data-testid="import-mapping">
                    <thead class="border-b border-zinc-200 dark:border-zinc-800"><tr>
                        {columns.iter().enumerate().map(|(i, column)| view! {
                            <th class="min-w-40 px-3 py-2 align-top font-normal">
                                <p class="mb-1 font-mono font-semibold" translate="no">{column.clone()}</p>
                                <select class=format!("{SELECT} w-full text-xs") data-testid="import-target" data-column=column.clone()
                                    aria-label=td_string!(locale, datasets.import.target_for, column = column.clone()).to_string()
                                    prop:value=move || format!("{:?}", mapping.with(|m| m.get(i).copied().unwrap_or(ColumnTarget::Ignore)))
                                    on:change=move |ev| {
                                        let chosen = event_target_value(&ev);
                                        if let Some(target) = ColumnTarget::ALL.into_iter().find(|t| format!("{t:?}") == chosen) {
                                            mapping.update(|m| if let Some(slot) = m.get_mut(i) { *slot = target });
                                        }
                                    }>
                                    {ColumnTarget::ALL.into_iter().map(|t| view! { <option value=format!("{t:?}")>{super::words::target_label(locale, t)}</option> }).collect_view()}
                                </select>
                            </th>
                        }).collect_view()}
                    </tr></thead>
                    <tbody class="divide-y divide-zinc-100 dark:divide-zinc-800" translate="no">
                        {rows.into_iter().map(|row| view! {
                            <tr>{row.cells.iter().map(|cell| {
                                let text = cell.as_ref().map(|v| preview(v, 80)).unwrap_or_default();
                                view! { <td class="max-w-56 truncate px-3 py-1.5 font-mono" title=text.clone()>{text.clone()}</td> }
                            }).collect_view()}</tr>
                        }).collect_view()}
                    </tbody>
                </table>
            </div>
        </div>
    }
}

/// What the first rows become with the mapping.
#[component]
fn RowPreview(rows: Vec<crate::domain::dataset_io::ImportRow>) -> impl IntoView {
    let locale = use_i18n().get_locale_untracked();
    (!rows.is_empty()).then(|| view! {
        <div>
            <p class="text-sm font-medium">{td_string!(locale, datasets.import.preview_title)}</p>
            <div class="mt-1 overflow-x-auto rounded-md border border-zinc-200 dark:border-zinc-800">
                <table class="w-full text-left text-xs" data-testid="import-preview">
                    <thead class="border-b border-zinc-200 dark:border-zinc-800"><tr>
                        <th class=TH>{td_string!(locale, datasets.import.row)}</th>
                        <th class=TH>{td_string!(locale, datasets.fields.id)}</th>
                        <th class=TH>{td_string!(locale, datasets.fields.input)}</th>
                        <th class=TH>{td_string!(locale, datasets.fields.expected_output)}</th>
                        <th class=TH>{td_string!(locale, datasets.fields.metadata)}</th>
                    </tr></thead>
                    <tbody class="divide-y divide-zinc-100 font-mono dark:divide-zinc-800" translate="no">
                        {rows.into_iter().map(|r| {
                            let cell = |v: Option<&serde_json::Value>| {
                                let text = v.map(|v| preview(v, 120)).unwrap_or_default();
                                view! { <td class="max-w-64 truncate px-4 py-1.5" title=text.clone()>{text.clone()}</td> }
                            };
                            view! {
                                <tr data-testid="import-preview-row">
                                    <td class="px-4 py-1.5 text-zinc-500">{r.row}</td>
                                    <td class="px-4 py-1.5">{r.id.clone().unwrap_or_default()}</td>
                                    {cell(Some(&r.input))}
                                    {cell(r.expected_output.as_ref())}
                                    {cell(r.metadata.as_ref())}
                                </tr>
                            }
                        }).collect_view()}
                    </tbody>
                </table>
            </div>
        </div>
    })
}

/// Rows left out, each with its reason.
#[component]
fn Problems(problems: Vec<RowProblem>, test_id: &'static str) -> impl IntoView {
    let locale = use_i18n().get_locale_untracked();
    let more = problems.len().saturating_sub(SHOWN_PROBLEMS);
    view! {
        <ul class="max-h-60 space-y-0.5 overflow-y-auto rounded-md border border-amber-200 bg-amber-50 px-3 py-2 text-xs text-amber-900 dark:border-amber-900 dark:bg-amber-950 dark:text-amber-200" data-testid=test_id>
            {problems.into_iter().take(SHOWN_PROBLEMS).map(|p| {
                let reason = super::words::import_problem(locale, &p.problem);
                let text = if p.field.is_empty() {
                    td_string!(locale, datasets.import.problem_row, row = p.row, reason = reason).to_string()
                } else {
                    td_string!(locale, datasets.import.problem_row_field, row = p.row, field = p.field.clone(), reason = reason).to_string()
                };
                view! { <li data-testid="import-problem" data-row=p.row.to_string()>{text}</li> }
            }).collect_view()}
            {(more > 0).then(|| view! { <li>{td_string!(locale, datasets.import.more_problems, count = more).to_string()}</li> })}
        </ul>
    }
}

/// The outcome of an import.
#[component]
fn Report(report: ImportReport) -> impl IntoView {
    let locale = use_i18n().get_locale_untracked();
    let failed = report.failed.len();
    view! {
        <div class="space-y-2" data-testid="import-report" data-created=report.created.to_string() data-updated=report.updated.to_string() data-failed=failed.to_string()>
            <p class="text-sm text-emerald-700 dark:text-emerald-400" role="status">
                {td_string!(locale, datasets.import.report, created = report.created, updated = report.updated).to_string()}
            </p>
            {(failed > 0).then(|| view! {
                <p class="text-sm text-amber-800 dark:text-amber-300">{td_string!(locale, datasets.import.report_failed, rows = failed).to_string()}</p>
                <Problems problems=report.failed.clone() test_id="import-report-problems" />
            })}
        </div>
    }
}

/// "Export CSV" / "Export JSONL": the current items (of `status`, `""` all) in a file.
#[component]
pub(super) fn ExportButtons(project_id: String, dataset_id: String, dataset_name: Signal<String>, #[prop(into)] status: Signal<String>) -> impl IntoView {
    let locale = use_i18n().get_locale_untracked();
    let busy = RwSignal::new(false);
    let error = RwSignal::new(None::<AppError>);
    let stored = StoredValue::new((project_id, dataset_id));
    let export = move |format: FileFormat| {
        let (project_id, dataset_id) = stored.get_value();
        let name = dataset_name.get_untracked();
        let status = status.get_untracked();
        busy.set(true);
        error.set(None);
        leptos::task::spawn_local(async move {
            let mut items: Vec<DatasetItem> = Vec::new();
            let mut page = 0;
            loop {
                match list_dataset_items(project_id.clone(), dataset_id.clone(), status.clone(), page, EXPORT_PAGE_SIZE).await {
                    Ok(part) => {
                        let last = part.items.len() < EXPORT_PAGE_SIZE as usize;
                        items.extend(part.items);
                        if last || items.len() as i64 >= part.total {
                            break;
                        }
                        page += 1;
                    }
                    Err(e) => {
                        error.set(Some(e));
                        busy.set(false);
                        return;
                    }
                }
            }
            // Folders in the name would be directories in a file name.
            let base = name.replace(['/', '\\'], "_");
            match format {
                FileFormat::Csv => download(&format!("{base}.csv"), "text/csv;charset=utf-8", &to_csv(&items)),
                FileFormat::Jsonl => download(&format!("{base}.jsonl"), "application/x-ndjson;charset=utf-8", &to_jsonl(&items)),
            }
            busy.set(false);
        });
    };
    view! {
        <button type="button" class=BUTTON_SECONDARY data-testid="export-csv" disabled=move || busy.get() on:click=move |_| export(FileFormat::Csv)>{td_string!(locale, datasets.export.csv)}</button>
        <button type="button" class=BUTTON_SECONDARY data-testid="export-jsonl" disabled=move || busy.get() on:click=move |_| export(FileFormat::Jsonl)>{td_string!(locale, datasets.export.jsonl)}</button>
        {move || busy.get().then(|| view! { <span class="text-xs text-zinc-500" role="status">{td_string!(locale, datasets.export.preparing)}</span> })}
        <ErrorAlert error=error />
    }
}

/// Saves `text` as a file named `name` (a Blob behind an object URL, clicked and revoked).
fn download(_name: &str, _mime: &str, _text: &str) {
    #[cfg(feature = "hydrate")]
    {
        use leptos::wasm_bindgen::{JsCast, JsValue};
        use leptos::web_sys::{js_sys, Blob, BlobPropertyBag, HtmlAnchorElement, Url};
        let parts = js_sys::Array::of1(&JsValue::from_str(_text));
        let options = BlobPropertyBag::new();
        options.set_type(_mime);
        let Ok(blob) = Blob::new_with_str_sequence_and_options(&parts, &options) else { return };
        let Ok(url) = Url::create_object_url_with_blob(&blob) else { return };
        let anchor = leptos::web_sys::window()
            .and_then(|w| w.document())
            .and_then(|d| d.create_element("a").ok())
            .and_then(|a| a.dyn_into::<HtmlAnchorElement>().ok());
        if let Some(anchor) = anchor {
            anchor.set_href(&url);
            anchor.set_download(_name);
            anchor.click();
        }
        let _ = Url::revoke_object_url(&url);
    }
}
