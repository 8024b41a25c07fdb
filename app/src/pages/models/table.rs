//! The models tab: "Test match", the search, the form when open, and the table of definitions —
//! the project's first (edit, delete), then the built-in ones (override).

use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

use super::form::{Editing, ModelFormView};
use super::test_match::TestMatch;
use super::words::{operator_symbol, source_label};
use crate::components::ui::*;
use crate::domain::account::ProjectRef;
use crate::domain::models::{per_million, ConditionRow, ModelForm, ModelRow, TierRow};
use crate::domain::Action;
use crate::i18n::*;
use crate::pages::organization::confirm;
use crate::server_fns::models::{list_models, DeleteModel};

#[component]
pub(super) fn ModelsTab(project: ProjectRef) -> impl IntoView {
    let locale = use_i18n().get_locale_untracked();
    let can_write = project.can(Action::ManageProjectSettings);
    let search = search_query();
    let version = RwSignal::new(0u32);
    let editing = RwSignal::new(None::<Editing>);
    let delete = ServerAction::<DeleteModel>::new();
    let project_id = StoredValue::new(project.id.clone());
    let list = LocalResource::new(move || {
        version.track();
        list_models(project_id.get_value(), search.get())
    });
    // A deletion changes what prices a name: the list and the last "Test match" answer again.
    Effect::new(move |_| {
        if let Some(Ok(())) = delete.value().get() {
            version.update(|v| *v += 1);
        }
    });
    // `?new=<model name>`: "Add a price for this model" from the usage tab.
    let query = use_query_map();
    let new_for = Memo::new(move |_| query.with(|q| q.get("new")));
    Effect::new(move |_| {
        if let (Some(name), true) = (new_for.get(), can_write) {
            editing.set(Some(Editing::new(ModelForm::for_model_name(name.trim()))));
        }
    });
    let saved = move || {
        editing.set(None);
        version.update(|v| *v += 1);
    };
    view! {
        <TestMatch project_id=project.id.clone() refresh=version />
        <section class=CARD data-testid="models">
            <div class="flex flex-wrap items-center justify-between gap-3 border-b border-zinc-200 px-4 py-3 dark:border-zinc-800">
                <div class="flex flex-wrap items-center gap-2">
                    <h2 class="text-sm font-semibold">{td_string!(locale, models.table.title)}</h2>
                    <SearchBox label=td_string!(locale, models.table.search) placeholder=td_string!(locale, models.table.search_placeholder) test_id="models-search" />
                </div>
                {can_write.then(|| view! {
                    <button type="button" class=format!("{BUTTON_PRIMARY} whitespace-nowrap") data-testid="new-model"
                        on:click=move |_| editing.set(Some(Editing::new(ModelForm::for_model_name(""))))>
                        {td_string!(locale, models.table.new)}
                    </button>
                })}
            </div>
            <p class="px-4 pt-2 text-xs text-zinc-500 dark:text-zinc-400">{td_string!(locale, models.table.hint)}</p>
            <div class="px-4"><ErrorAlert error=action_error(delete) /></div>
            {move || editing.get().map(|current| view! {
                <ModelFormView project_id=project_id.get_value() editing=current on_saved=saved on_cancel=move || editing.set(None) />
            })}
            {move || match list.try_get().flatten() {
                None => view! { <Skeleton /> }.into_any(),
                Some(Err(error)) => view! { <div class="px-4 py-3"><LoadError error /></div> }.into_any(),
                Some(Ok(list)) if list.rows.is_empty() => view! {
                    <p class="px-4 py-6 text-sm text-zinc-500" data-testid="no-models">{td_string!(locale, models.table.empty)}</p>
                }.into_any(),
                Some(Ok(list)) => {
                    let shown = list.rows.iter().filter(|r| r.builtin).count();
                    let more = list.builtin_matched.saturating_sub(shown);
                    view! {
                        <div class="overflow-x-auto">
                            <table class=TABLE data-testid="models-table">
                                <TableHead columns={ let l = locale; [
                                    td_string!(l, models.table.model),
                                    td_string!(l, models.table.match_pattern),
                                    td_string!(l, models.table.start_date),
                                    td_string!(l, models.table.unit),
                                    td_string!(l, models.table.prices),
                                    td_string!(l, models.table.actions),
                                ] } />
                                <tbody class="divide-y divide-zinc-100 dark:divide-zinc-800">
                                    {list.rows.into_iter().map(|row| view! { <Row row can_write editing delete project_id=project_id.get_value() /> }).collect_view()}
                                </tbody>
                            </table>
                        </div>
                        {(more > 0).then(|| view! {
                            <p class="px-4 py-3 text-xs text-zinc-500" data-testid="more-builtin">{td_string!(locale, models.table.more_builtin, count = more).to_string()}</p>
                        })}
                    }.into_any()
                }
            }}
        </section>
    }
}

#[component]
fn Row(row: ModelRow, can_write: bool, editing: RwSignal<Option<Editing>>, delete: ServerAction<DeleteModel>, project_id: String) -> impl IntoView {
    let locale = use_i18n().get_locale_untracked();
    let start = row.start_date.map(|d| d.format("%Y-%m-%d").to_string()).unwrap_or_else(|| td_string!(locale, models.table.always).to_string());
    let actions = can_write.then(|| {
        let for_form = row.clone();
        if row.builtin {
            view! {
                <button type="button" class=BUTTON_LINK data-testid="override-model"
                    on:click=move |_| editing.set(Some(Editing::override_of(&for_form)))>{td_string!(locale, models.table.override_model)}</button>
            }
            .into_any()
        } else {
            let (id, name) = (row.id.clone(), row.model_name.clone());
            view! {
                <button type="button" class=BUTTON_LINK data-testid="edit-model"
                    on:click=move |_| editing.set(Some(Editing::edit(&for_form)))>{td_string!(locale, models.table.edit)}</button>
                " "
                <button type="button" class=format!("{BUTTON_LINK} text-red-700 dark:text-red-400") data-testid="delete-model"
                    on:click=move |_| {
                        if confirm(&td_string!(locale, models.table.confirm_delete, name = name.as_str()).to_string()) {
                            delete.dispatch(DeleteModel { project_id: project_id.clone(), model_id: id.clone() });
                        }
                    }>{td_string!(locale, models.table.delete)}</button>
            }
            .into_any()
        }
    });
    view! {
        <tr data-testid="model-row" data-model-name=row.model_name.clone() data-builtin=row.builtin.to_string()>
            <td class=TD>
                <span class="font-medium" translate="no">{row.model_name.clone()}</span>
                <span class=format!("ml-2 rounded px-1.5 py-0.5 text-[11px] {}", if row.builtin {
                    "bg-zinc-100 text-zinc-600 dark:bg-zinc-800 dark:text-zinc-300"
                } else {
                    "bg-indigo-50 text-indigo-700 dark:bg-indigo-950 dark:text-indigo-300"
                })>
                    {if row.builtin { td_string!(locale, models.table.builtin) } else { td_string!(locale, models.table.project) }}
                </span>
                {row.tokenizer_id.clone().map(|t| view! {
                    <span class="block text-xs text-zinc-500">{td_string!(locale, models.table.tokenizer, name = t).to_string()}</span>
                })}
            </td>
            <td class=format!("{TD} max-w-[16rem] break-all font-mono text-xs") translate="no">{row.match_pattern.clone()}</td>
            <td class=format!("{TD} whitespace-nowrap text-xs")>{start}</td>
            <td class=format!("{TD} text-xs") translate="no">{row.unit.clone().unwrap_or_else(|| "—".into())}</td>
            <td class=TD><Tiers tiers=row.tiers.clone() /></td>
            <td class=format!("{TD} whitespace-nowrap")>{actions}</td>
        </tr>
    }
}

/// A definition's tiers: each with its conditions and prices per million units.
#[component]
pub(super) fn Tiers(tiers: Vec<TierRow>) -> impl IntoView {
    let locale = use_i18n().get_locale_untracked();
    view! {
        <div class="space-y-2">
            {tiers.into_iter().map(|tier| view! {
                <div class="min-w-[14rem]" data-testid="model-tier" data-tier-name=tier.name.clone()>
                    <p class="text-xs font-medium">
                        <span translate="no">{tier.name.clone()}</span>
                        {tier.is_default.then(|| view! { <span class="ml-1 text-zinc-500">{td_string!(locale, models.table.default_tier)}</span> })}
                        {(!tier.is_default).then(|| view! { <span class="ml-1 text-zinc-500">{td_string!(locale, models.table.priority, priority = tier.priority).to_string()}</span> })}
                    </p>
                    {(!tier.conditions.is_empty()).then(|| view! {
                        <p class="text-xs text-amber-800 dark:text-amber-300" data-testid="tier-conditions">
                            {td_string!(locale, models.table.when)}" "
                            <span translate="no">{tier.conditions.iter().map(|c| condition_text(locale, c)).collect::<Vec<_>>().join(" · ")}</span>
                        </p>
                    })}
                    <ul class="text-xs text-zinc-600 dark:text-zinc-400">
                        {tier.prices.iter().map(|(usage_type, price)| view! {
                            <li data-usage-type=usage_type.clone() title=format!("{price:e}")>
                                <span class="font-mono" translate="no">{usage_type.clone()}</span>": $"{per_million(*price)}" "
                                <span class="text-zinc-500">{td_string!(locale, models.table.per_million)}</span>
                            </li>
                        }).collect_view()}
                    </ul>
                </div>
            }).collect_view()}
        </div>
    }
}

/// A condition as a short formula: `input > 200000`, `model_parameters.service_tier ∈ {flex}`.
pub(super) fn condition_text(locale: Locale, condition: &ConditionRow) -> String {
    match condition {
        ConditionRow::Usage { pattern, operator, value, case_sensitive } => {
            let case = if *case_sensitive { td_string!(locale, models.table.case_sensitive) } else { "" };
            format!("Σ /{pattern}/ {} {value}{case}", operator_symbol(operator))
        }
        ConditionRow::Attribute { source, key, values } => format!("{}.{key} ∈ {{{}}}", source_label(locale, source), values.join(", ")),
    }
}
