//! `/project/{id}/datasets/{dataset}/compare?runs=…`: 2–4 runs side by side and the regression verdict.

use leptos::prelude::*;

use crate::pages::coming_soon::ComingSoon;
use crate::pages::project::InProject;
use crate::sections::Section;

#[component]
pub fn CompareRunsPage() -> impl IntoView {
    view! { <InProject children=move |_, _| view! { <ComingSoon section=Section::Datasets /> } /> }
}
