//! `/project/{id}/datasets/{dataset}/items/{item}`: one item, its versions and the runs that used it.

use leptos::prelude::*;

use crate::pages::coming_soon::ComingSoon;
use crate::pages::project::InProject;
use crate::sections::Section;

#[component]
pub fn DatasetItemPage() -> impl IntoView {
    view! { <InProject children=move |_, _| view! { <ComingSoon section=Section::Datasets /> } /> }
}
