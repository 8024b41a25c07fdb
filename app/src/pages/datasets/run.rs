//! `/project/{id}/datasets/{dataset}/runs/{run}`: one run, item by item.

use leptos::prelude::*;

use crate::pages::coming_soon::ComingSoon;
use crate::pages::project::InProject;
use crate::sections::Section;

#[component]
pub fn DatasetRunPage() -> impl IntoView {
    view! { <InProject children=move |_, _| view! { <ComingSoon section=Section::Datasets /> } /> }
}
