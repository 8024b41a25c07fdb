//! `/project/{id}/evaluators/new`: creating an evaluator. Once saved, the page offers to run it
//! on the existing traces matching its filter (the count first, then the progress) before
//! opening it.

use leptos::prelude::*;
use leptos_meta::Title;

use super::backfill::RunOnExisting;
use super::form::{EvaluatorForm, FormStart};
use super::{evaluator_href, target_label};
use crate::components::ui::*;
use crate::domain::account::ProjectRef;
use crate::domain::evaluators::Evaluator;
use crate::i18n::*;
use crate::pages::project::InProject;
use crate::server_fns::evaluator_views::evaluator_form_start;
use crate::server_fns::evaluators::CreateEvaluator;

#[component]
pub fn EvaluatorNewPage() -> impl IntoView {
    let i18n = use_i18n();
    view! {
        <Title text=t_string!(i18n, evaluators.new.title) />
        <InProject children=move |_, project| view! { <NewEvaluator project /> } />
    }
}

#[component]
fn NewEvaluator(project: ProjectRef) -> impl IntoView {
    let i18n = use_i18n();
    let locale = i18n.get_locale_untracked();
    let create = ServerAction::<CreateEvaluator>::new();
    let pid = project.id.clone();
    let start = LocalResource::new(move || evaluator_form_start(pid.clone()));
    let created = Memo::new(move |_| create.value().get().and_then(Result::ok));
    let list_href = format!("/project/{}/evaluators", project.id);
    let project = StoredValue::new(project);
    let can_create = project.with_value(|p| p.can(super::MANAGE));
    view! {
        <div class="mx-auto max-w-5xl px-4 py-4 sm:px-8 sm:py-6">
            <a class=BUTTON_LINK href=list_href.clone()>{t_string!(i18n, evaluators.new.back)}</a>
            <div class="mt-3">
                <PageHeader title=t_string!(i18n, evaluators.new.title) subtitle=t_string!(i18n, evaluators.new.subtitle) />
            </div>
            <div class="mt-4">
                {move || {
                    if !can_create {
                        return view! { <p class="text-sm text-zinc-600 dark:text-zinc-400" data-testid="evaluator-not-allowed">{td_string!(locale, evaluators.new.not_allowed)}</p> }.into_any();
                    }
                    if let Some(evaluator) = created.get() {
                        return view! { <Created project=project.get_value() evaluator /> }.into_any();
                    }
                    match start.try_get().flatten() {
                        None => view! { <FormSkeleton /> }.into_any(),
                        Some(Err(error)) => view! { <LoadError error /> }.into_any(),
                        Some(Ok(data)) => {
                            let form_start = FormStart { templates: data.templates, connections: data.connections, datasets: data.datasets, editing: None };
                            view! {
                                <EvaluatorForm project=project.get_value() start=form_start
                                    submit=Callback::new(move |(input, _)| { create.dispatch(CreateEvaluator { project_id: project.with_value(|p| p.id.clone()), evaluator: input }); })
                                    pending=create.pending()
                                    server_error=action_error(create)
                                    submit_label=td_string!(locale, evaluators.new.create)
                                    cancel_href=list_href.clone() />
                            }.into_any()
                        }
                    }
                }}
            </div>
        </div>
    }
}

/// The loading state of the form: its sections' outlines.
#[component]
pub(crate) fn FormSkeleton() -> impl IntoView {
    view! {
        <div class="space-y-4" data-testid="evaluator-form-loading">
            {(0..3).map(|_| view! { <div class=CARD><Skeleton /></div> }).collect_view()}
        </div>
    }
}

/// After saving: what was created, and the offer to run it on what already exists.
#[component]
fn Created(project: ProjectRef, evaluator: Evaluator) -> impl IntoView {
    let i18n = use_i18n();
    let locale = i18n.get_locale_untracked();
    let href = evaluator_href(&project.id, &evaluator.id);
    view! {
        <div class="space-y-4" data-testid="evaluator-created" data-id=evaluator.id.clone()>
            <div class="rounded-lg border border-emerald-300 bg-emerald-50 px-4 py-3 text-sm text-emerald-900 dark:border-emerald-800 dark:bg-emerald-950/40 dark:text-emerald-200" role="status">
                <p class="font-medium">{td_string!(locale, evaluators.new.created_title)}</p>
                <p class="mt-1">{td_string!(locale, evaluators.new.created_body, target = target_label(locale, &evaluator.target)).to_string()}</p>
            </div>
            <section class=format!("{CARD} space-y-3 px-4 py-4")>
                <h2 class="text-sm font-semibold">{t_string!(i18n, evaluators.backfill.title)}</h2>
                <p class=HINT>{t_string!(i18n, evaluators.backfill.hint)}</p>
                <RunOnExisting project_id=project.id.clone() evaluator_id=evaluator.id.clone() sampling=evaluator.sampling can_start=true count_now=true />
            </section>
            <a class=BUTTON_PRIMARY href=href data-testid="open-evaluator">{t_string!(i18n, evaluators.new.open)}</a>
        </div>
    }
}
