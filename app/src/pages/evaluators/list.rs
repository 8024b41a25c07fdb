//! `/project/{id}/evaluators`: the evaluators list.

use leptos::prelude::*;

use crate::pages::coming_soon::ComingSoon;
use crate::pages::project::InProject;
use crate::sections::Section;

#[component]
pub fn EvaluatorsPage() -> impl IntoView {
    view! { <InProject children=move |_, _| view! { <ComingSoon section=Section::Evaluators /> } /> }
}
