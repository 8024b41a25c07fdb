//! `/project/{id}`: the project's front page is a dashboard (`domain::dashboards::home`) over the
//! URL's time range and filters. A project that has never received a trace shows how to send
//! the first one instead.

use leptos::prelude::*;
use leptos_meta::Title;

use super::board::{use_board_place, RangeNote, Toolbar, WidgetCard, GRID};
use crate::components::ui::*;
use crate::domain::dashboards::home;
use crate::i18n::*;
use crate::pages::project::InProject;
use crate::pages::traces::FirstTrace;
use crate::server_fns::dashboards::{dashboard_setup, run_widgets};

#[component]
pub fn ProjectHomePage() -> impl IntoView {
    let i18n = use_i18n();
    let project_id = route_param("project_id");
    let place = use_board_place();
    // Made at the route's top (not inside `InProject`), as every route's resources.
    let setup = Resource::new(move || project_id.get(), dashboard_setup);
    let data = Resource::new(move || (project_id.get(), place.get()), |(project_id, place)| run_widgets(project_id, home(), place.range, place.filters));
    view! {
        <Title text=t_string!(i18n, dashboards.home.title) />
        <InProject children=move |_, project| {
            let i18n = use_i18n();
            let locale = i18n.get_locale_untracked();
            view! {
                <div class="px-4 py-4 sm:px-8 sm:py-6" data-testid="project-home">
                    <PageHeader title=project.name.clone() data_title=true subtitle=td_string!(locale, dashboards.home.subtitle).to_string() />
                    <Toolbar place />
                    <Transition fallback=move || view! { <Skeleton label=td_string!(locale, dashboards.home.loading) /> }>
                        {move || Suspend::new(async move {
                            match setup.await {
                                Ok(Some(setup)) => return view! { <section class=format!("{CARD} mt-4")><FirstTrace setup /></section> }.into_any(),
                                Err(error) => return view! { <LoadError error /> }.into_any(),
                                Ok(None) => {}
                            }
                            match data.await {
                                Ok(board) => {
                                    let (from, to) = (board.from, board.to);
                                    let cards = home()
                                        .into_iter()
                                        .zip(board.widgets.clone())
                                        .map(|(widget, result)| view! { <WidgetCard widget result from to home=true /> })
                                        .collect_view();
                                    view! {
                                        <RangeNote data=board />
                                        <div class=GRID data-testid="widget-grid">{cards}</div>
                                    }.into_any()
                                }
                                Err(error) => view! { <div class="mt-4"><LoadError error /></div> }.into_any(),
                            }
                        })}
                    </Transition>
                </div>
            }
        } />
    }
}
