//! The model form: create, edit, or override a built-in definition (a project copy, pre-filled).
//! Checked as typed: the text's own problems at once (`ModelForm::to_body`), then — once typing
//! pauses — the server's check, the one `POST /api/public/models` runs (`check_model_form`), so
//! a pattern that does not compile, a negative price or overlapping tiers show under their field
//! before saving. Problems are matched to inputs by the field path they name
//! (`pricingTiers[1].conditions[0].value`).

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;

use leptos::prelude::*;

use super::words::{operator_symbol, price_problem};
use crate::components::ui::*;
use crate::domain::models::{
    parse_number, per_million, ConditionForm, ConditionKind, FieldProblem, ModelForm, ModelRow, PriceForm, TierForm, ATTRIBUTE_SOURCES, OPERATORS,
    TOKENIZERS, UNITS,
};
use crate::error::AppError;
use crate::i18n::*;
use crate::server_fns::models::{check_model_form, SaveModel};

/// What the form is doing.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Editing {
    /// The project model being edited; `None` creates one.
    pub model_id: Option<String>,
    pub form: ModelForm,
    pub kind: EditKind,
}

#[derive(Debug, Clone, PartialEq)]
pub(super) enum EditKind {
    New,
    Edit(String),
    /// A copy of this built-in model.
    Override(String),
}

impl Editing {
    pub fn new(form: ModelForm) -> Editing {
        Editing { model_id: None, form, kind: EditKind::New }
    }

    pub fn edit(row: &ModelRow) -> Editing {
        Editing { model_id: Some(row.id.clone()), form: ModelForm::from_row(row, true), kind: EditKind::Edit(row.model_name.clone()) }
    }

    pub fn override_of(row: &ModelRow) -> Editing {
        Editing { model_id: None, form: ModelForm::from_row(row, false), kind: EditKind::Override(row.model_name.clone()) }
    }
}

/// The list structure of the form (tiers, their conditions' kinds, their price rows): inputs are
/// rebuilt only when it changes, so typing keeps the focus.
#[derive(Debug, Clone, PartialEq)]
struct TierShape {
    is_default: bool,
    conditions: Vec<ConditionKind>,
    prices: usize,
}

fn shape(form: &ModelForm) -> Vec<TierShape> {
    form.tiers
        .iter()
        .map(|tier| TierShape { is_default: tier.is_default, conditions: tier.conditions.iter().map(|c| c.kind).collect(), prices: tier.prices.len() })
        .collect()
}

/// The problems shown: the text's, the server's last check, the last save's refusal.
#[derive(Clone, Copy)]
struct Problems {
    local: Memo<Vec<FieldProblem>>,
    server: RwSignal<Vec<FieldProblem>>,
    saved: Signal<Option<AppError>>,
}

impl Problems {
    /// The message for a field, if any.
    fn at(self, locale: Locale, field: &str) -> Option<String> {
        let worded = |list: &[FieldProblem]| list.iter().find(|p| p.field == field).map(|p| price_problem(locale, &p.problem));
        self.local
            .with(|list| worded(list))
            .or_else(|| self.server.with(|list| worded(list)))
            .or_else(|| match self.saved.get() {
                Some(AppError::Invalid { field: f, message }) if f == field => Some(message),
                _ => None,
            })
    }
}

/// The message under an input, when its field has a problem.
fn field_error(problems: Problems, locale: Locale, field: String) -> impl IntoView {
    let test_id = format!("model-error-{field}");
    move || {
        problems.at(locale, &field).map(|message| {
            view! { <p class="mt-1 text-xs text-red-700 dark:text-red-400" role="alert" data-testid=test_id.clone()>{message}</p> }
        })
    }
}

#[component]
pub(super) fn ModelFormView(
    project_id: String,
    editing: Editing,
    on_saved: impl Fn() + Send + Sync + Clone + 'static,
    on_cancel: impl Fn() + Send + Sync + Clone + 'static,
) -> impl IntoView {
    let locale = use_i18n().get_locale_untracked();
    let form = RwSignal::new(editing.form.clone());
    let model_id = StoredValue::new(editing.model_id.clone());
    let project_id = StoredValue::new(project_id);
    let save = ServerAction::<SaveModel>::new();
    let local = Memo::new(move |_| form.with(|f| f.to_body().err().unwrap_or_default()));
    let server = RwSignal::new(Vec::<FieldProblem>::new());
    let problems = Problems { local, server, saved: action_error(save) };
    let shape = Memo::new(move |_| form.with(shape));

    // The server's check once typing pauses; only the newest answer counts. The timer and the
    // answer may outlive the form (saved or cancelled meanwhile), so they hold nothing of the
    // reactive arena but the signal they `try_set`, and check the form is still there.
    let alive = Arc::new(AtomicBool::new(true));
    {
        let alive = alive.clone();
        on_cleanup(move || alive.store(false, Ordering::Relaxed));
    }
    let asked = Arc::new(AtomicU64::new(0));
    let (pid, mid) = (project_id.get_value(), model_id.get_value());
    Effect::new(move |first: Option<()>| {
        let current = form.get();
        if first.is_none() {
            return;
        }
        let mine = asked.fetch_add(1, Ordering::Relaxed) + 1;
        if !local.get_untracked().is_empty() {
            server.set(Vec::new());
            return;
        }
        let (alive, asked, pid, mid) = (alive.clone(), asked.clone(), pid.clone(), mid.clone());
        set_timeout(
            move || {
                if !alive.load(Ordering::Relaxed) || asked.load(Ordering::Relaxed) != mine {
                    return;
                }
                leptos::task::spawn_local(async move {
                    if let Ok(found) = check_model_form(pid, mid, current).await {
                        if alive.load(Ordering::Relaxed) && asked.load(Ordering::Relaxed) == mine {
                            server.try_set(found);
                        }
                    }
                });
            },
            Debounce::TYPING,
        );
    });
    {
        let on_saved = on_saved.clone();
        Effect::new(move |_| {
            if let Some(Ok(_)) = save.value().get() {
                on_saved();
            }
        });
    }
    let title = match &editing.kind {
        EditKind::New => td_string!(locale, models.form.title_new).to_string(),
        EditKind::Edit(name) => td_string!(locale, models.form.title_edit, name = name.as_str()).to_string(),
        EditKind::Override(name) => td_string!(locale, models.form.title_override, name = name.as_str()).to_string(),
    };
    let overriding = matches!(editing.kind, EditKind::Override(_));
    let general = Signal::derive(move || problems.saved.get().filter(|e| !matches!(e, AppError::Invalid { .. })));
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        save.dispatch(SaveModel { project_id: project_id.get_value(), model_id: model_id.get_value(), form: form.get_untracked() });
    };
    view! {
        <form class="space-y-4 border-b border-zinc-200 bg-zinc-50/60 px-4 py-4 dark:border-zinc-800 dark:bg-zinc-900/40" data-testid="model-form" on:submit=submit novalidate>
            <div>
                <h3 class="text-sm font-semibold" data-testid="model-form-title">{title}</h3>
                {overriding.then(|| view! { <p class=HINT>{td_string!(locale, models.form.override_hint)}</p> })}
            </div>
            <div class="grid gap-3 sm:grid-cols-2">
                <div>
                    <label class=LABEL for="model-name">{td_string!(locale, models.form.model_name)}</label>
                    <input id="model-name" class=format!("{INPUT} mt-1") maxlength="255" data-testid="model-name"
                        prop:value=move || form.with(|f| f.model_name.clone())
                        on:input=move |ev| form.update(|f| f.model_name = event_target_value(&ev)) />
                    {field_error(problems, locale, "modelName".into())}
                </div>
                <div>
                    <label class=LABEL for="model-pattern">{td_string!(locale, models.form.match_pattern)}</label>
                    <input id="model-pattern" class=format!("{INPUT} mt-1 font-mono") data-testid="model-pattern" spellcheck="false" translate="no"
                        prop:value=move || form.with(|f| f.match_pattern.clone())
                        on:input=move |ev| form.update(|f| f.match_pattern = event_target_value(&ev)) />
                    <p class=HINT>{td_string!(locale, models.form.match_pattern_hint)}</p>
                    {field_error(problems, locale, "matchPattern".into())}
                </div>
                <div>
                    <label class=LABEL for="model-start">{td_string!(locale, models.form.start_date)}</label>
                    <input id="model-start" type="date" class=format!("{INPUT} mt-1") data-testid="model-start-date"
                        prop:value=move || form.with(|f| f.start_date.clone())
                        on:input=move |ev| form.update(|f| f.start_date = event_target_value(&ev)) />
                    <p class=HINT>{td_string!(locale, models.form.start_date_hint)}</p>
                    {field_error(problems, locale, "startDate".into())}
                </div>
                <div class="grid grid-cols-2 gap-3">
                    <div>
                        <label class=LABEL for="model-unit">{td_string!(locale, models.form.unit)}</label>
                        <select id="model-unit" class=format!("{SELECT} mt-1 w-full") data-testid="model-unit"
                            on:change=move |ev| form.update(|f| f.unit = event_target_value(&ev))>
                            <option value="" selected=move || form.with(|f| f.unit.is_empty())>"—"</option>
                            {UNITS.into_iter().map(|unit| view! {
                                <option value=unit selected=move || form.with(|f| f.unit == unit)>{unit}</option>
                            }).collect_view()}
                        </select>
                        {field_error(problems, locale, "unit".into())}
                    </div>
                    <div>
                        <label class=LABEL for="model-tokenizer">{td_string!(locale, models.form.tokenizer)}</label>
                        <select id="model-tokenizer" class=format!("{SELECT} mt-1 w-full") data-testid="model-tokenizer"
                            on:change=move |ev| form.update(|f| f.tokenizer_id = event_target_value(&ev))>
                            <option value="" selected=move || form.with(|f| f.tokenizer_id.is_empty())>{td_string!(locale, models.form.no_tokenizer)}</option>
                            {TOKENIZERS.into_iter().map(|t| view! {
                                <option value=t selected=move || form.with(|f| f.tokenizer_id == t)>{t}</option>
                            }).collect_view()}
                        </select>
                        {field_error(problems, locale, "tokenizerId".into())}
                    </div>
                </div>
            </div>
            <details class="text-sm">
                <summary class="cursor-pointer text-xs font-medium text-zinc-600 dark:text-zinc-400">{td_string!(locale, models.form.tokenizer_config)}</summary>
                <textarea class=format!("{INPUT} mt-1 font-mono text-xs") rows="3" data-testid="model-tokenizer-config" spellcheck="false"
                    placeholder="{\"tokenizerModel\": \"gpt-4o\", \"tokensPerMessage\": 3, \"tokensPerName\": 1}"
                    prop:value=move || form.with(|f| f.tokenizer_config.clone())
                    on:input=move |ev| form.update(|f| f.tokenizer_config = event_target_value(&ev))></textarea>
                {field_error(problems, locale, "tokenizerConfig".into())}
            </details>
            <div class="space-y-3">
                <div class="flex flex-wrap items-center justify-between gap-2">
                    <div>
                        <h4 class="text-sm font-semibold">{td_string!(locale, models.form.tiers)}</h4>
                        <p class=HINT>{td_string!(locale, models.form.tiers_hint)}</p>
                    </div>
                    <button type="button" class=BUTTON_SECONDARY data-testid="add-tier"
                        on:click=move |_| form.update(|f| { let tier = TierForm::conditional(f); f.tiers.push(tier); })>
                        {td_string!(locale, models.form.add_tier)}
                    </button>
                </div>
                {field_error(problems, locale, "pricingTiers".into())}
                {field_error(problems, locale, String::new())}
                {move || shape.get().into_iter().enumerate().map(|(t, tier)| view! { <TierEditor form problems t tier /> }).collect_view()}
            </div>
            <div class="flex flex-wrap items-center gap-2">
                <button type="submit" class=BUTTON_PRIMARY data-testid="save-model" disabled=move || save.pending().get()>{td_string!(locale, models.form.save)}</button>
                <button type="button" class=BUTTON_SECONDARY data-testid="cancel-model" on:click=move |_| on_cancel()>{td_string!(locale, models.form.cancel)}</button>
                <span class="text-xs text-zinc-500" role="status" data-testid="model-form-status">
                    {move || {
                        let count = local.with(Vec::len) + server.with(Vec::len);
                        (count > 0).then(|| td_string!(locale, models.form.problem_count, count = count).to_string())
                    }}
                </span>
                <div class="w-full"><ErrorAlert error=general /></div>
            </div>
        </form>
    }
}

/// One tier: name and priority, its conditions (not for the default tier) and its prices.
#[component]
fn TierEditor(form: RwSignal<ModelForm>, problems: Problems, t: usize, tier: TierShape) -> impl IntoView {
    let locale = use_i18n().get_locale_untracked();
    let path = format!("pricingTiers[{t}]");
    let get = move |read: fn(&TierForm) -> String| move || form.with(|f| f.tiers.get(t).map(read).unwrap_or_default());
    let edit = move |change: fn(&mut TierForm, String)| move |ev: leptos::ev::Event| form.update(|f| if let Some(tier) = f.tiers.get_mut(t) { change(tier, event_target_value(&ev)) });
    let name_id = format!("tier-{t}-name");
    view! {
        <fieldset class=format!("{CARD} space-y-3 bg-white px-3 py-3 dark:bg-zinc-950") data-testid="tier-editor" data-tier=t.to_string()>
            <div class="flex flex-wrap items-end gap-3">
                <div class="min-w-[10rem] flex-1">
                    <label class=LABEL for=name_id.clone()>{td_string!(locale, models.form.tier_name)}</label>
                    <input id=name_id class=format!("{INPUT} mt-1") maxlength="100" data-testid="tier-name"
                        prop:value=get(|tier| tier.name.clone()) on:input=edit(|tier, value| tier.name = value) />
                    {field_error(problems, locale, format!("{path}.name"))}
                </div>
                {if tier.is_default {
                    view! { <p class="pb-2 text-xs text-zinc-500" data-testid="tier-default">{td_string!(locale, models.form.default_tier)}</p> }.into_any()
                } else {
                    let priority_id = format!("tier-{t}-priority");
                    view! {
                        <div class="w-28">
                            <label class=LABEL for=priority_id.clone()>{td_string!(locale, models.form.priority)}</label>
                            <input id=priority_id class=format!("{INPUT} mt-1") inputmode="numeric" data-testid="tier-priority"
                                prop:value=get(|tier| tier.priority.clone()) on:input=edit(|tier, value| tier.priority = value) />
                        </div>
                        <button type="button" class=format!("{BUTTON_LINK} pb-2 text-red-700 dark:text-red-400") data-testid="remove-tier"
                            on:click=move |_| form.update(|f| { if t < f.tiers.len() { f.tiers.remove(t); } })>
                            {td_string!(locale, models.form.remove_tier)}
                        </button>
                    }.into_any()
                }}
            </div>
            {field_error(problems, locale, format!("{path}.priority"))}
            {(!tier.is_default).then(|| {
                let conditions = tier.conditions.clone();
                view! {
                    <div class="space-y-2">
                        <p class="text-xs font-medium text-zinc-600 dark:text-zinc-400">{td_string!(locale, models.form.conditions)}</p>
                        {conditions.into_iter().enumerate().map(|(c, kind)| view! { <ConditionEditor form problems t c kind /> }).collect_view()}
                        {field_error(problems, locale, format!("{path}.conditions"))}
                        <div class="flex flex-wrap gap-3">
                            <button type="button" class=BUTTON_LINK data-testid="add-usage-condition"
                                on:click=move |_| form.update(|f| if let Some(tier) = f.tiers.get_mut(t) { tier.conditions.push(ConditionForm::large_input()) })>
                                {td_string!(locale, models.form.add_usage_condition)}
                            </button>
                            <button type="button" class=BUTTON_LINK data-testid="add-attribute-condition"
                                on:click=move |_| form.update(|f| if let Some(tier) = f.tiers.get_mut(t) { tier.conditions.push(ConditionForm::attribute()) })>
                                {td_string!(locale, models.form.add_attribute_condition)}
                            </button>
                        </div>
                    </div>
                }
            })}
            <div class="space-y-2">
                <p class="text-xs font-medium text-zinc-600 dark:text-zinc-400">{td_string!(locale, models.form.prices)}</p>
                {(0..tier.prices).map(|p| view! { <PriceEditor form problems t p /> }).collect_view()}
                {field_error(problems, locale, format!("{path}.prices"))}
                <button type="button" class=BUTTON_LINK data-testid="add-price"
                    on:click=move |_| form.update(|f| if let Some(tier) = f.tiers.get_mut(t) { tier.prices.push(PriceForm::default()) })>
                    {td_string!(locale, models.form.add_price)}
                </button>
            </div>
        </fieldset>
    }
}

/// One usage type's price, USD per unit, with what it is per million units.
#[component]
fn PriceEditor(form: RwSignal<ModelForm>, problems: Problems, t: usize, p: usize) -> impl IntoView {
    let locale = use_i18n().get_locale_untracked();
    let read = move |f: &ModelForm| f.tiers.get(t).and_then(|tier| tier.prices.get(p)).cloned().unwrap_or_default();
    let write = move |change: fn(&mut PriceForm, String), value: String| {
        form.update(|f| {
            if let Some(price) = f.tiers.get_mut(t).and_then(|tier| tier.prices.get_mut(p)) {
                change(price, value)
            }
        })
    };
    // The field the server names: the price under its usage type.
    let field = Memo::new(move |_| form.with(|f| format!("pricingTiers[{t}].prices.{}", read(f).usage_type.trim())));
    view! {
        <div class="flex flex-wrap items-start gap-2" data-testid="price-row" data-usage-type=move || form.with(|f| read(f).usage_type)>
            <input class=format!("{INPUT} w-44 font-mono text-xs") aria-label=td_string!(locale, models.form.usage_type) placeholder="input" data-testid="price-usage-type" spellcheck="false"
                prop:value=move || form.with(|f| read(f).usage_type) on:input=move |ev| write(|price, v| price.usage_type = v, event_target_value(&ev)) />
            <div class="min-w-[10rem] flex-1">
                <input class=format!("{INPUT} font-mono text-xs") aria-label=td_string!(locale, models.form.price_per_unit) placeholder="0.00000015" inputmode="decimal" data-testid="price-value"
                    prop:value=move || form.with(|f| read(f).price) on:input=move |ev| write(|price, v| price.price = v, event_target_value(&ev)) />
                <p class=HINT>
                    {move || form.with(|f| parse_number(&read(f).price)).map(|value| {
                        td_string!(locale, models.form.per_million_hint, price = per_million(value)).to_string()
                    }).unwrap_or_else(|| td_string!(locale, models.form.price_hint).to_string())}
                </p>
                {move || field_error(problems, locale, field.get())}
            </div>
            <button type="button" class=format!("{BUTTON_LINK} pt-1.5 text-red-700 dark:text-red-400") data-testid="remove-price"
                aria-label=td_string!(locale, models.form.remove_price)
                on:click=move |_| form.update(|f| if let Some(tier) = f.tiers.get_mut(t) { if p < tier.prices.len() { tier.prices.remove(p); } })>"×"</button>
        </div>
    }
}

/// One condition of a tier: a usage sum compared with a value, or an attribute among values.
#[component]
fn ConditionEditor(form: RwSignal<ModelForm>, problems: Problems, t: usize, c: usize, kind: ConditionKind) -> impl IntoView {
    let locale = use_i18n().get_locale_untracked();
    let path = format!("pricingTiers[{t}].conditions[{c}]");
    let read = move |f: &ModelForm| f.tiers.get(t).and_then(|tier| tier.conditions.get(c)).cloned().unwrap_or_default();
    let write = move |change: fn(&mut ConditionForm, String), value: String| {
        form.update(|f| {
            if let Some(condition) = f.tiers.get_mut(t).and_then(|tier| tier.conditions.get_mut(c)) {
                change(condition, value)
            }
        })
    };
    let remove = move |_| form.update(|f| if let Some(tier) = f.tiers.get_mut(t) { if c < tier.conditions.len() { tier.conditions.remove(c); } });
    let body = match kind {
        ConditionKind::Usage => view! {
            <input class=format!("{INPUT} w-40 font-mono text-xs") aria-label=td_string!(locale, models.form.usage_pattern) data-testid="condition-pattern" spellcheck="false"
                prop:value=move || form.with(|f| read(f).pattern) on:input=move |ev| write(|cond, v| cond.pattern = v, event_target_value(&ev)) />
            <select class=format!("{SELECT} text-xs") aria-label=td_string!(locale, models.form.operator) data-testid="condition-operator"
                on:change=move |ev| write(|cond, v| cond.operator = v, event_target_value(&ev))>
                {OPERATORS.into_iter().map(|op| view! {
                    <option value=op selected=move || form.with(|f| read(f).operator == op)>{operator_symbol(op)}</option>
                }).collect_view()}
            </select>
            <input class=format!("{INPUT} w-32 text-xs") inputmode="numeric" aria-label=td_string!(locale, models.form.threshold) data-testid="condition-value"
                prop:value=move || form.with(|f| read(f).value) on:input=move |ev| write(|cond, v| cond.value = v, event_target_value(&ev)) />
            <label class="flex items-center gap-1 text-xs">
                <input type="checkbox" prop:checked=move || form.with(|f| read(f).case_sensitive)
                    on:change=move |ev| write(|cond, v| cond.case_sensitive = v == "true", event_target_checked(&ev).to_string()) />
                {td_string!(locale, models.form.case_sensitive)}
            </label>
        }
        .into_any(),
        ConditionKind::Attribute => view! {
            <select class=format!("{SELECT} text-xs") aria-label=td_string!(locale, models.form.source) data-testid="condition-source"
                on:change=move |ev| write(|cond, v| cond.source = v, event_target_value(&ev))>
                {ATTRIBUTE_SOURCES.into_iter().map(|source| view! {
                    <option value=source selected=move || form.with(|f| read(f).source == source)>{super::words::source_label(locale, source)}</option>
                }).collect_view()}
            </select>
            <input class=format!("{INPUT} w-36 font-mono text-xs") aria-label=td_string!(locale, models.form.key) data-testid="condition-key" spellcheck="false"
                prop:value=move || form.with(|f| read(f).key) on:input=move |ev| write(|cond, v| cond.key = v, event_target_value(&ev)) />
            <span class="text-xs">"∈"</span>
            <input class=format!("{INPUT} w-40 text-xs") aria-label=td_string!(locale, models.form.values) placeholder="flex, priority" data-testid="condition-values"
                prop:value=move || form.with(|f| read(f).values) on:input=move |ev| write(|cond, v| cond.values = v, event_target_value(&ev)) />
        }
        .into_any(),
    };
    let usage_fields = ["usageDetailPattern", "operator", "value", "caseSensitive"];
    let attribute_fields = ["source", "key", "operator", "values"];
    let fields: Vec<String> = match kind {
        ConditionKind::Usage => usage_fields.iter(),
        ConditionKind::Attribute => attribute_fields.iter(),
    }
    .map(|field| format!("{path}.{field}"))
    .chain(std::iter::once(path.clone()))
    .collect();
    view! {
        <div class="rounded-md border border-dashed border-zinc-300 px-2 py-2 dark:border-zinc-700" data-testid="condition">
            <div class="flex flex-wrap items-center gap-2">
                <span class="text-xs text-zinc-500">{match kind {
                    ConditionKind::Usage => td_string!(locale, models.form.usage_condition),
                    ConditionKind::Attribute => td_string!(locale, models.form.attribute_condition),
                }}</span>
                {body}
                <button type="button" class=format!("{BUTTON_LINK} text-red-700 dark:text-red-400") data-testid="remove-condition" on:click=remove>
                    {td_string!(locale, models.form.remove_condition)}
                </button>
            </div>
            {fields.into_iter().map(|field| field_error(problems, locale, field)).collect_view()}
        </div>
    }
}
