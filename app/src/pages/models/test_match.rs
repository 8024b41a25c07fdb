//! "Test match": a model name, usage (as an SDK's `usageDetails`, or `type: count` lines) and,
//! for attribute conditions, model parameters and metadata → the definition and tier that would
//! price such a generation and its cost per usage type, computed on the server by ingestion's own
//! pricing over the definitions as stored now.

use leptos::prelude::*;

use crate::components::ui::*;
use crate::domain::format;
use crate::domain::models::{MatchProbe, MatchResult};
use crate::error::AppError;
use crate::i18n::*;
use crate::server_fns::models::test_model_match;

#[component]
pub(super) fn TestMatch(project_id: String, refresh: RwSignal<u32>) -> impl IntoView {
    let locale = use_i18n().get_locale_untracked();
    let probe = RwSignal::new(MatchProbe { usage: "input: 1000\noutput: 500".into(), ..Default::default() });
    let project_id = StoredValue::new(project_id);
    let test = Action::new(move |probe: &MatchProbe| test_model_match(project_id.get_value(), probe.clone()));
    // A saved price change shows at once in the last answer.
    Effect::new(move |first: Option<()>| {
        refresh.track();
        if first.is_some() && test.value().with_untracked(|v| v.is_some()) {
            test.dispatch(probe.get_untracked());
        }
    });
    let run = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        test.dispatch(probe.get_untracked());
    };
    // The fields hold code — usage keys, parameters, JSON — and so do their examples: not
    // translated (`translate="no"`).
    let field = |label: &'static str, id: &'static str, placeholder: &'static str, rows: Option<&'static str>, read: fn(&MatchProbe) -> String, write: fn(&mut MatchProbe, String)| {
        let input = match rows {
            Some(rows) => view! {
                <textarea id=id rows=rows class=format!("{INPUT} mt-1 font-mono text-xs") placeholder=placeholder data-testid=id spellcheck="false" translate="no"
                    prop:value=move || probe.with(read) on:input=move |ev| probe.update(|p| write(p, event_target_value(&ev)))></textarea>
            }
            .into_any(),
            None => view! {
                <input id=id class=format!("{INPUT} mt-1 font-mono text-xs") placeholder=placeholder data-testid=id spellcheck="false" translate="no"
                    prop:value=move || probe.with(read) on:input=move |ev| probe.update(|p| write(p, event_target_value(&ev))) />
            }
            .into_any(),
        };
        view! { <div><label class=LABEL for=id>{label}</label>{input}</div> }
    };
    view! {
        <section class=format!("{CARD} px-4 py-4") data-testid="test-match">
            <h2 class="text-sm font-semibold">{td_string!(locale, models.test.title)}</h2>
            <p class=HINT>{td_string!(locale, models.test.hint)}</p>
            <form class="mt-3 grid gap-3 sm:grid-cols-2" on:submit=run novalidate>
                {field(td_string!(locale, models.test.model), "test-model", "gpt-4o", None, |p| p.model.clone(), |p, v| p.model = v)}
                {field(td_string!(locale, models.test.usage), "test-usage", "input: 250000\noutput: 1000", Some("3"), |p| p.usage.clone(), |p, v| p.usage = v)}
                {field(td_string!(locale, models.test.model_parameters), "test-model-parameters", "service_tier=flex", None, |p| p.model_parameters.clone(), |p, v| p.model_parameters = v)}
                {field(td_string!(locale, models.test.metadata), "test-metadata", "{\"plan\": \"pro\"}", None, |p| p.metadata.clone(), |p, v| p.metadata = v)}
                <div class="sm:col-span-2">
                    <button type="submit" class=BUTTON_PRIMARY data-testid="test-match-run" disabled=move || test.pending().get()>{td_string!(locale, models.test.run)}</button>
                </div>
            </form>
            {move || test.value().get().map(|result| match result {
                Ok(result) => view! { <Outcome result /> }.into_any(),
                Err(AppError::Invalid { field, message }) => view! {
                    <p class="mt-3 text-sm text-red-700 dark:text-red-400" role="alert" data-testid="test-match-error" data-field=field>{message}</p>
                }.into_any(),
                Err(error) => view! { <div class="mt-3"><LoadError error /></div> }.into_any(),
            })}
        </section>
    }
}

#[component]
fn Outcome(result: MatchResult) -> impl IntoView {
    let locale = use_i18n().get_locale_untracked();
    let Some(model) = result.model.clone() else {
        return view! {
            <p class="mt-3 rounded-md bg-amber-50 px-3 py-2 text-sm text-amber-900 dark:bg-amber-950 dark:text-amber-200" data-testid="test-match-none">
                {td_string!(locale, models.test.no_model)}
            </p>
        }
        .into_any();
    };
    let kind = if model.builtin { td_string!(locale, models.table.builtin) } else { td_string!(locale, models.table.project) };
    let total = result.total_cost.map(format::cost).unwrap_or_else(|| "—".into());
    let priced_types: Vec<(String, i64, Option<f64>)> =
        result.usage.iter().filter(|(k, _)| *k != "total").map(|(k, units)| (k.clone(), *units, result.cost.get(k).copied())).collect();
    view! {
        <div class="mt-3 space-y-2" data-testid="test-match-result">
            <p class="text-sm">
                {td_string!(locale, models.test.matched)}" "
                <span class="font-medium" translate="no" data-testid="test-match-model">{model.model_name.clone()}</span>
                " "<span class="text-xs text-zinc-500">"("{kind}")"</span>
                " · "{td_string!(locale, models.test.tier)}" "
                <span class="font-medium" translate="no" data-testid="test-match-tier">{result.tier_name.clone().unwrap_or_else(|| "—".into())}</span>
            </p>
            <p class="font-mono text-xs text-zinc-500" translate="no">{model.match_pattern.clone()}</p>
            <div class="overflow-x-auto">
                <table class=TABLE data-testid="test-match-costs">
                    <TableHead columns={ let l = locale; [td_string!(l, models.test.usage_type), td_string!(l, models.test.units), td_string!(l, models.test.cost)] } />
                    <tbody>
                        {priced_types.into_iter().map(|(usage_type, units, cost)| view! {
                            <tr data-usage-type=usage_type.clone()>
                                <td class=format!("{TD} font-mono text-xs") translate="no">{usage_type.clone()}</td>
                                <td class=format!("{TD} tabular-nums")>{format::count(units)}</td>
                                <td class=format!("{TD} tabular-nums") data-testid="test-match-cost" title=cost.map(|c| format!("{c:e}"))>
                                    {cost.map(format::cost).unwrap_or_else(|| td_string!(locale, models.test.unpriced).to_string())}
                                </td>
                            </tr>
                        }).collect_view()}
                        <tr class="font-medium">
                            <td class=TD>{td_string!(locale, models.test.total)}</td>
                            <td class=format!("{TD} tabular-nums")>{result.usage.get("total").map(|t| format::count(*t))}</td>
                            <td class=format!("{TD} tabular-nums") data-testid="test-match-total" data-total=result.total_cost.map(|c| c.to_string()) title=result.total_cost.map(|c| format!("{c:e}"))>
                                {total}
                            </td>
                        </tr>
                    </tbody>
                </table>
            </div>
        </div>
    }
    .into_any()
}
