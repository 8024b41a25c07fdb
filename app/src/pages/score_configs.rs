//! Score configs in the project settings (#20): the rubric annotators score with. Numeric
//! (optional range), categorical (labels with values) and boolean configs, with a description.
//! Members and up create them; Admins archive them (never delete: old scores keep their
//! meaning) and restore them. The rules are the public API's (`validate_score_config`).

use leptos::prelude::*;

use crate::components::ui::*;
use crate::domain::account::ProjectRef;
use crate::domain::score_views::{ConfigCategory, ScoreConfig};
use crate::domain::{Action, ScoreDataType};
use crate::i18n::*;
use crate::server_fns::annotation::{list_score_configs, CreateScoreConfig, NewScoreConfigInput, SetScoreConfigArchived};

/// A config's type in the page's language.
pub fn data_type_label(locale: Locale, data_type: ScoreDataType) -> &'static str {
    match data_type {
        ScoreDataType::Numeric => td_string!(locale, annotation.configs.types.numeric),
        ScoreDataType::Categorical => td_string!(locale, annotation.configs.types.categorical),
        ScoreDataType::Boolean => td_string!(locale, annotation.configs.types.boolean),
        ScoreDataType::Text => td_string!(locale, annotation.configs.types.text),
        ScoreDataType::Correction => td_string!(locale, annotation.configs.types.correction),
    }
}

/// What values a config allows, in a few words.
fn allowed(config: &ScoreConfig) -> String {
    match config.data_type {
        ScoreDataType::Numeric => match (config.min_value, config.max_value) {
            (Some(a), Some(b)) => format!("{a} – {b}"),
            (Some(a), None) => format!("≥ {a}"),
            (None, Some(b)) => format!("≤ {b}"),
            (None, None) => "ℝ".into(),
        },
        _ => config.categories.iter().flatten().map(|c| format!("{} = {}", c.label, c.value)).collect::<Vec<_>>().join(", "),
    }
}

#[component]
pub fn ScoreConfigs(project: ProjectRef) -> impl IntoView {
    let i18n = use_i18n();
    let locale = i18n.get_locale_untracked();
    let create = ServerAction::<CreateScoreConfig>::new();
    let archive = ServerAction::<SetScoreConfigArchived>::new();
    let show_archived = RwSignal::new(false);
    let pid = project.id.clone();
    let configs = LocalResource::new(move || {
        create.version().get();
        archive.version().get();
        list_score_configs(pid.clone(), show_archived.get())
    });
    let can_create = project.can(Action::WriteScores);
    let can_archive = project.can(Action::ManageProjectSettings);
    let project_id = StoredValue::new(project.id.clone());
    view! {
        <section class=CARD id="score-configs" data-testid="score-configs">
            <div class="flex flex-wrap items-center justify-between gap-2 border-b border-zinc-200 px-4 py-3 dark:border-zinc-800">
                <div>
                    <h2 class="text-base font-semibold">{t_string!(i18n, annotation.configs.title)}</h2>
                    <p class=HINT>{t_string!(i18n, annotation.configs.subtitle)}</p>
                </div>
                <label class="flex items-center gap-1.5 text-xs text-zinc-600 dark:text-zinc-400">
                    <input type="checkbox" data-testid="show-archived-configs" prop:checked=move || show_archived.get()
                        on:change=move |ev| show_archived.set(event_target_checked(&ev)) />
                    {t_string!(i18n, annotation.configs.show_archived)}
                </label>
            </div>
            {move || match configs.try_get().flatten() {
                None => view! { <Skeleton label=td_string!(locale, annotation.configs.loading) /> }.into_any(),
                Some(Err(error)) => view! { <div class="p-4"><LoadError error /></div> }.into_any(),
                Some(Ok(list)) if list.is_empty() => view! {
                    <p class="px-4 py-6 text-sm text-zinc-500" data-testid="no-score-configs">{t_string!(i18n, annotation.configs.empty)}</p>
                }.into_any(),
                Some(Ok(list)) => view! {
                    <div class="overflow-x-auto">
                        <table class=TABLE data-testid="score-configs-table">
                            <thead><tr>
                                <th class=TH>{t_string!(i18n, annotation.configs.name)}</th>
                                <th class=TH>{t_string!(i18n, annotation.configs.type_label)}</th>
                                <th class=TH>{t_string!(i18n, annotation.configs.values)}</th>
                                <th class=TH>{t_string!(i18n, annotation.configs.description)}</th>
                                <th class=TH></th>
                            </tr></thead>
                            <tbody>
                                {list.into_iter().map(|c| {
                                    let id = c.id.clone();
                                    let archived = c.is_archived;
                                    view! {
                                        <tr data-testid="score-config-row" data-name=c.name.clone()>
                                            <td class=format!("{TD} font-medium") translate="no">{c.name.clone()}
                                                {archived.then(|| view! { <span class="ml-2 rounded bg-zinc-100 px-1.5 py-0.5 text-[10px] font-normal text-zinc-600 dark:bg-zinc-800 dark:text-zinc-400" data-testid="config-archived">{td_string!(locale, annotation.configs.archived)}</span> })}
                                            </td>
                                            <td class=TD>{data_type_label(locale, c.data_type)}</td>
                                            <td class=format!("{TD} font-mono text-xs") translate="no">{allowed(&c)}</td>
                                            <td class=format!("{TD} text-xs text-zinc-600 dark:text-zinc-400") translate="no">{c.description.clone().unwrap_or_default()}</td>
                                            <td class=format!("{TD} text-right")>
                                                {can_archive.then(|| view! {
                                                    <button type="button" class=BUTTON_LINK data-testid=if archived { "restore-config" } else { "archive-config" }
                                                        on:click=move |_| { archive.dispatch(SetScoreConfigArchived { project_id: project_id.get_value(), config_id: id.clone(), archived: !archived }); }>
                                                        {if archived { td_string!(locale, annotation.configs.restore) } else { td_string!(locale, annotation.configs.archive) }}
                                                    </button>
                                                })}
                                            </td>
                                        </tr>
                                    }
                                }).collect_view()}
                            </tbody>
                        </table>
                    </div>
                }.into_any(),
            }}
            <div class="px-4"><ErrorAlert error=action_error(archive) /></div>
            {can_create.then(|| view! { <NewConfigForm project_id=project.id.clone() create /> })}
        </section>
    }
}

#[component]
fn NewConfigForm(project_id: String, create: ServerAction<CreateScoreConfig>) -> impl IntoView {
    let i18n = use_i18n();
    let locale = i18n.get_locale_untracked();
    let name = RwSignal::new(String::new());
    let kind = RwSignal::new(ScoreDataType::Numeric);
    let min = RwSignal::new(String::new());
    let max = RwSignal::new(String::new());
    let description = RwSignal::new(String::new());
    // Categories as rows of (label, value) text; a new config starts with two.
    let categories = RwSignal::new(vec![(String::new(), "1".to_string()), (String::new(), "0".to_string())]);
    let local_error = RwSignal::new(None::<crate::error::AppError>);
    Effect::new(move |_| {
        if matches!(create.value().get(), Some(Ok(_))) {
            name.set(String::new());
            min.set(String::new());
            max.set(String::new());
            description.set(String::new());
            categories.set(vec![(String::new(), "1".to_string()), (String::new(), "0".to_string())]);
        }
    });
    let project_id = StoredValue::new(project_id);
    let number = move |text: String, field: &str| -> Result<Option<f64>, crate::error::AppError> {
        let text = text.trim().to_string();
        if text.is_empty() {
            return Ok(None);
        }
        text.parse::<f64>().map(Some).map_err(|_| crate::error::AppError::invalid(field, td_string!(locale, annotation.configs.not_a_number).to_string()))
    };
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        local_error.set(None);
        let parsed = (|| {
            let min_value = number(min.get_untracked(), "minValue")?;
            let max_value = number(max.get_untracked(), "maxValue")?;
            let mut list = Vec::new();
            for (i, (label, value)) in categories.get_untracked().into_iter().enumerate() {
                if label.trim().is_empty() && kind.get_untracked() == ScoreDataType::Categorical && i > 0 {
                    continue;
                }
                let value = number(value, &format!("categories[{i}].value"))?.unwrap_or(0.0);
                list.push(ConfigCategory { label: label.trim().to_string(), value });
            }
            Ok::<_, crate::error::AppError>((min_value, max_value, list))
        })();
        match parsed {
            Err(error) => local_error.set(Some(error)),
            Ok((min_value, max_value, list)) => {
                create.dispatch(CreateScoreConfig {
                    project_id: project_id.get_value(),
                    config: NewScoreConfigInput {
                        name: name.get_untracked(),
                        data_type: kind.get_untracked(),
                        min_value,
                        max_value,
                        categories: list,
                        description: Some(description.get_untracked()),
                    },
                });
            }
        }
    };
    let error = Signal::derive(move || local_error.get().or_else(|| action_error(create).get()));
    view! {
        <form class="space-y-3 border-t border-zinc-200 px-4 py-4 dark:border-zinc-800" on:submit=submit data-testid="new-score-config">
            <h3 class="text-sm font-semibold">{t_string!(i18n, annotation.configs.new_title)}</h3>
            <div class="grid grid-cols-1 gap-3 sm:grid-cols-3">
                <label class="block sm:col-span-2">
                    <span class=LABEL>{t_string!(i18n, annotation.configs.name)}</span>
                    <input type="text" class=format!("{INPUT} mt-1") maxlength="35" required data-testid="config-name"
                        prop:value=move || name.get() on:input=move |ev| name.set(event_target_value(&ev)) />
                </label>
                <label class="block">
                    <span class=LABEL>{t_string!(i18n, annotation.configs.type_label)}</span>
                    <select class=format!("{SELECT} mt-1") data-testid="config-type"
                        on:change=move |ev| kind.set(match event_target_value(&ev).as_str() {
                            "CATEGORICAL" => ScoreDataType::Categorical,
                            "BOOLEAN" => ScoreDataType::Boolean,
                            _ => ScoreDataType::Numeric,
                        })>
                        {[ScoreDataType::Numeric, ScoreDataType::Categorical, ScoreDataType::Boolean].into_iter().map(|t| view! {
                            <option value=t.as_str() selected=move || kind.get() == t>{data_type_label(locale, t)}</option>
                        }).collect_view()}
                    </select>
                </label>
            </div>
            <Show when=move || kind.get() == ScoreDataType::Numeric>
                <div class="flex flex-wrap gap-3">
                    <label class="block">
                        <span class=LABEL>{t_string!(i18n, annotation.configs.min)}</span>
                        <input type="number" step="any" class=format!("{INPUT} mt-1 w-32") data-testid="config-min"
                            prop:value=move || min.get() on:input=move |ev| min.set(event_target_value(&ev)) />
                    </label>
                    <label class="block">
                        <span class=LABEL>{t_string!(i18n, annotation.configs.max)}</span>
                        <input type="number" step="any" class=format!("{INPUT} mt-1 w-32") data-testid="config-max"
                            prop:value=move || max.get() on:input=move |ev| max.set(event_target_value(&ev)) />
                    </label>
                </div>
            </Show>
            <Show when=move || kind.get() == ScoreDataType::Categorical>
                <fieldset class="space-y-2">
                    <legend class=LABEL>{t_string!(i18n, annotation.configs.categories)}</legend>
                    {move || categories.get().into_iter().enumerate().map(|(i, (label, value))| view! {
                        <div class="flex items-center gap-2" data-testid="config-category">
                            <input type="text" class=INPUT placeholder=td_string!(locale, annotation.configs.category_label) data-testid="category-label"
                                aria-label=td_string!(locale, annotation.configs.category_label) prop:value=label
                                on:change=move |ev| categories.update(|c| c[i].0 = event_target_value(&ev)) />
                            <input type="number" step="any" class=format!("{INPUT} w-24") data-testid="category-value"
                                aria-label=td_string!(locale, annotation.configs.category_value) prop:value=value
                                on:change=move |ev| categories.update(|c| c[i].1 = event_target_value(&ev)) />
                            <button type="button" class="text-xs text-zinc-500 hover:text-red-600" aria-label=td_string!(locale, annotation.configs.remove_category)
                                on:click=move |_| categories.update(|c| { if c.len() > 1 { c.remove(i); } })>"×"</button>
                        </div>
                    }).collect_view()}
                    <button type="button" class=BUTTON_LINK data-testid="add-category"
                        on:click=move |_| categories.update(|c| { let next = c.len(); c.push((String::new(), next.to_string())); })>
                        {t_string!(i18n, annotation.configs.add_category)}
                    </button>
                </fieldset>
            </Show>
            <Show when=move || kind.get() == ScoreDataType::Boolean>
                <p class=HINT>{t_string!(i18n, annotation.configs.boolean_hint)}</p>
            </Show>
            <label class="block">
                <span class=LABEL>{t_string!(i18n, annotation.configs.description)}</span>
                <input type="text" class=format!("{INPUT} mt-1") data-testid="config-description"
                    prop:value=move || description.get() on:input=move |ev| description.set(event_target_value(&ev)) />
            </label>
            <ErrorAlert error />
            <button type="submit" class=BUTTON_PRIMARY data-testid="create-config" disabled=move || create.pending().get()>{t_string!(i18n, annotation.configs.create)}</button>
        </form>
    }
}
