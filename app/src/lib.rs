//! Loupe's isomorphic application crate.
//!
//! Everything here compiles twice: with `ssr` into the server binary and with `hydrate` into the
//! browser bundle. Domain types (`domain`, the crate `loupe-domain`) are plain serde types shared
//! by both; the server state (`state`), the session cookie and access checks (`auth`) exist only
//! with `ssr`, as do the store (all SQL), credential handling and mail, which live in
//! `loupe-core` and are re-exported here (`store`, `auth::{accounts, …}`, `mail`). Pages call
//! server functions (`api`), which call `store`. Nothing in this crate knows HTTP wire formats
//! of the public API; that lives in `server/`.

#![recursion_limit = "512"]

pub mod server_fns;
pub mod components;
pub use loupe_domain as domain;
pub mod error;
pub mod pages;
pub mod routes;
pub mod sections;

#[cfg(feature = "ssr")]
pub mod auth;
#[cfg(feature = "ssr")]
pub use loupe_core::mail;
#[cfg(feature = "ssr")]
pub mod state;
#[cfg(feature = "ssr")]
pub use loupe_core::store;

use leptos::prelude::*;
use leptos_meta::{provide_meta_context, MetaTags, Title};
use leptos_router::{
    components::{Route, Router, Routes},
    path, Lazy,
};

use crate::components::layout::AppLayout;
use crate::pages::not_found::NotFound;
use crate::pages::project::{ProjectIndex, ProjectSection};
use crate::routes::*;
use crate::sections::Section;

/// Sets the `dark` class on `<html>` before first paint so a dark-theme user never sees a flash
/// of the light theme. Kept tiny and dependency-free because it runs before the wasm bundle loads.
const THEME_BOOT_SCRIPT: &str = r#"(function(){try{var t=localStorage.getItem('loupe-theme');var d=t==='dark'||(t!=='light'&&window.matchMedia('(prefers-color-scheme: dark)').matches);document.documentElement.classList.toggle('dark',d);}catch(e){}})();"#;

/// The HTML document every page is rendered into (server side only). The stylesheet is linked
/// here rather than from `App`: it lives in the build's directory (`options.site_pkg_dir`, which
/// the server points at `pkg/<content hash>/`), and the shell is not hydrated.
pub fn shell(options: LeptosOptions) -> impl IntoView {
    let stylesheet = format!("/{}/{}.css", options.site_pkg_dir, options.output_name);
    view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <meta charset="utf-8" />
                <meta name="viewport" content="width=device-width, initial-scale=1" />
                <meta name="color-scheme" content="light dark" />
                <link rel="icon" type="image/svg+xml" href="/favicon.svg" />
                <script inner_html=THEME_BOOT_SCRIPT></script>
                <link rel="stylesheet" id="loupe" href=stylesheet />
                <HydrationScripts options />
                <MetaTags />
            </head>
            <body class="h-full">
                <App />
            </body>
        </html>
    }
}

/// The root component: the router, the shell layout and every route.
#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    // True from a link's click until the next page's code and data have arrived (the router
    // waits for a lazily loaded page area): the layout shows a progress bar meanwhile.
    let (routing, set_routing) = signal(false);

    view! {
        <Title formatter=|title: String| {
            if title.is_empty() { "Loupe".to_string() } else { format!("{title} · Loupe") }
        } />
        <Router set_is_routing=set_routing>
            <AppLayout routing>
                <Routes fallback=|| view! { <NotFound /> }>
                    <Route path=path!("/") view={Lazy::<HomeRoute>::new()} />
                    <Route path=path!("/sign-in") view={Lazy::<SignInRoute>::new()} />
                    <Route path=path!("/sign-up") view={Lazy::<SignUpRoute>::new()} />
                    <Route path=path!("/invite/:token") view={Lazy::<InviteRoute>::new()} />
                    <Route path=path!("/account") view={Lazy::<AccountRoute>::new()} />
                    <Route path=path!("/organization/:org_id") view={Lazy::<OrgProjectsRoute>::new()} />
                    <Route path=path!("/organization/:org_id/members") view={Lazy::<OrgMembersRoute>::new()} />
                    <Route path=path!("/organization/:org_id/audit-log") view={Lazy::<OrgAuditLogRoute>::new()} />
                    <Route path=path!("/organization/:org_id/settings") view={Lazy::<OrgSettingsRoute>::new()} />
                    <Route path=path!("/project/:project_id") view=ProjectIndex />
                    <Route path=path!("/project/:project_id/traces") view={Lazy::<TracesRoute>::new()} />
                    <Route path=path!("/project/:project_id/traces/:trace_id") view={Lazy::<TraceRoute>::new()} />
                    <Route path=path!("/share/traces/:project_id/:trace_id") view={Lazy::<SharedTraceRoute>::new()} />
                    <Route path=path!("/project/:project_id/sessions") view={Lazy::<SessionsRoute>::new()} />
                    <Route path=path!("/project/:project_id/sessions/:session_id") view={Lazy::<SessionRoute>::new()} />
                    <Route path=path!("/project/:project_id/users") view={Lazy::<UsersRoute>::new()} />
                    <Route path=path!("/project/:project_id/users/:user_id") view={Lazy::<UserRoute>::new()} />
                    <Route path=path!("/project/:project_id/prompts") view={Lazy::<PromptsRoute>::new()} />
                    // Routes match in order: `/prompts/new` (the editor) must stay above the wildcard.
                    <Route path=path!("/project/:project_id/prompts/new") view={Lazy::<PromptNewRoute>::new()} />
                    <Route path=path!("/project/:project_id/prompts/*name") view={Lazy::<PromptRoute>::new()} />
                    <Route path=path!("/project/:project_id/playground") view=|| view! { <ProjectSection section=Section::Playground /> } />
                    <Route path=path!("/project/:project_id/scores") view=|| view! { <ProjectSection section=Section::Scores /> } />
                    <Route path=path!("/project/:project_id/annotation-queues") view=|| view! { <ProjectSection section=Section::AnnotationQueues /> } />
                    <Route path=path!("/project/:project_id/datasets") view=|| view! { <ProjectSection section=Section::Datasets /> } />
                    <Route path=path!("/project/:project_id/evaluators") view=|| view! { <ProjectSection section=Section::Evaluators /> } />
                    <Route path=path!("/project/:project_id/dashboards") view=|| view! { <ProjectSection section=Section::Dashboards /> } />
                    <Route path=path!("/project/:project_id/settings") view={Lazy::<ProjectSettingsRoute>::new()} />
                </Routes>
            </AppLayout>
        </Router>
    }
}
