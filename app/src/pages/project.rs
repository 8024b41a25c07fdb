//! Pages inside a project (`/project/{id}/…`): the project must be one of the person's, else the
//! page says it was not found (the same for "does not exist" and "not yours").

use leptos::prelude::*;
use leptos_router::hooks::use_params_map;

use crate::components::session::use_session;
use crate::components::ui::route_param;
use crate::domain::Action;
use crate::error::AppError;
use crate::domain::account::{OrganizationRef, ProjectRef};
use crate::pages::organization::NoAccess;

/// Renders `children` with the project (and its organization) from the session, or the
/// not-found page.
#[component]
pub fn InProject<F, V>(children: F) -> impl IntoView
where
    F: Fn(OrganizationRef, ProjectRef) -> V + Send + Sync + 'static,
    V: IntoView + 'static,
{
    let params = use_params_map();
    let project_id = Memo::new(move |_| params.with(|p| p.get("project_id").unwrap_or_default()));
    let session = use_session();
    let children = StoredValue::new(children);
    // A memo, so a session refresh that leaves this project and the person's role in it as they
    // were (a rename elsewhere, a new project) does not rebuild the page.
    let found = Memo::new(move |_| {
        session.with(|info| info.and_then(|i| i.project(&project_id.get())).map(|(o, p)| (o.clone(), p.clone())))
    });
    // Not a `Transition`: the session is there synchronously (`components::session` says why
    // awaiting it broke hydration), so the page is built once, on the server and in the browser.
    move || match found.get() {
        Some((org, project)) => children.with_value(|c| c(org, project)).into_any(),
        None => view! { <div class="px-4 sm:px-8"><NoAccess what="project" /></div> }.into_any(),
    }
}

/// A route's resource that only some roles may load, made at the top of the route like every
/// resource (`components::ui::route_param`). It waits for the session and, when the person's role
/// in the route's project does not allow `action`, answers `Ok(None)` without asking the server:
/// a refused server function during server rendering would set the whole page's HTTP status.
pub fn permitted_resource<S, T, Fut>(
    action: Action,
    source: impl Fn() -> S + Send + Sync + 'static,
    fetch: impl Fn(OrganizationRef, ProjectRef, S) -> Fut + Send + Sync + Clone + 'static,
) -> Resource<Result<Option<T>, AppError>>
where
    S: PartialEq + Clone + Send + Sync + 'static,
    T: serde::Serialize + serde::de::DeserializeOwned + Send + Sync + 'static,
    Fut: std::future::Future<Output = Result<T, AppError>> + Send + 'static,
{
    let project_id = route_param("project_id");
    let session = use_session();
    Resource::new(move || (project_id.get(), source()), move |(project_id, source)| {
        let fetch = fetch.clone();
        async move {
            let found = session.current_untracked().and_then(|i| i.project(&project_id).map(|(o, p)| (o.clone(), p.clone())));
            match found {
                Some((org, project)) if project.can(action) => fetch(org, project, source).await.map(Some),
                _ => Ok(None),
            }
        }
    })
}
