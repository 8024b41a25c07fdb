//! `/project/{id}/datasets/{dataset}`: a dataset with its items and runs.

use leptos::prelude::*;

use crate::pages::coming_soon::ComingSoon;
use crate::pages::project::InProject;
use crate::sections::Section;

#[component]
pub fn DatasetPage() -> impl IntoView {
    view! { <InProject children=move |_, _| view! { <ComingSoon section=Section::Datasets /> } /> }
}
