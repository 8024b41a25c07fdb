//! Which code the browser loads when. Pages are lazy routes grouped into areas, each split
//! out of the main bundle (`xtask site` runs wasm-split) and fetched when a page of the area is
//! first shown: the sign-in pages, the trace explorer's traces list, its sessions and users lists
//! and its detail pages (a trace, a shared trace, a session, a user: three areas, see below), prompts and
//! evaluators (#21; their own area until #22, merged to save a split: see below), the
//! shared-document pages — the prompt editor and the playground (with the shared-document client
//! and `yrs`, #19, which nothing else needs) —, evaluation (scores, annotation queues and their
//! review, #20), datasets (#21), dashboards and usage (the project home, custom dashboards, the
//! organization's usage, the plans admin and the models and prices page: the pages with charts
//! and the metrics and plans types, #22), and the rest (home, account, organization and project
//! settings). The main bundle keeps what every page needs: the router, the layout, the reactive
//! runtime and the hydration entry.
//!
//! Why areas and not a split per page: wasm-split puts code shared by several splits into a
//! module per combination of splits, and twenty splits made 350 modules, most of them tiny; a
//! first visit then fetched up to 175 files. A few areas share far less, and a page's area brings
//! its neighbours along (a trace's session, the user's traces), which are the next clicks anyway.
//! Each area costs the others too: one more split re-cuts the shared code into more, smaller
//! modules, ~25 KB more per first visit when each file was compressed alone. So #22's heavy pages
//! joined the dashboards area rather than getting an area of their own, and the evaluators joined
//! prompts (docs/BENCHMARKS.md, "Browser bundle size"). Release builds now send a first visit's
//! modules as one pack (`xtask/src/pack.rs`), which takes most of that cost back, and the
//! explorer became two areas: its lists, where a project's work starts, and its detail pages,
//! where the SDKs' trace links land. Each first visit then loads only its half (the traces list
//! 1,005 → 685 KB gzip -9, a trace 824 KB), for ~5-9 KB more on the others. Later the traces
//! list, where work on a project's traces starts, left the sessions and users lists to an area
//! of their own (622 → 582 KB; the others moved by −1 to +1.2 KB).
//!
//! On a first visit the server preloads the current area's modules (Leptos records which lazy
//! functions rendered and reads `__wasm_split_manifest.json`, which in a release build names the
//! area's pack: its ~130 modules in one file, `xtask/src/pack.rs`), and the browser loads the area of
//! the URL ([`preload_for_path`]) before it hydrates the page synchronously, as without
//! splitting. (Leptos's asynchronous hydration, `hydrate_lazy`, mis-hydrates the layout's
//! `<Show>`s in Leptos 0.8.23; sync hydration needs the page's code loaded, which this ensures.)
//! When navigating into another area, the router shows the old page until the new area's code
//! has arrived. The server renders lazy routes like any other: `#[lazy]` only changes the
//! browser build. See docs/BENCHMARKS.md ("Browser bundle") for the sizes.

use leptos::prelude::*;
use leptos_router::LazyRoute;

use crate::pages::account::AccountPage;
use crate::pages::annotation_queues::{AnnotationQueuePage, AnnotationQueuesPage, ReviewPage};
use crate::pages::scores::ScoresPage;
use crate::pages::auth::{SignInPage, SignUpPage};
use crate::pages::dashboards::{DashboardPage, DashboardsPage, ProjectHomePage};
use crate::pages::datasets::{CompareRunsPage, DatasetItemPage, DatasetPage, DatasetRunPage, DatasetsPage};
use crate::pages::evaluators::{EvaluatorNewPage, EvaluatorPage, EvaluatorsPage};
use crate::pages::home::HomePage;
use crate::pages::invite::InvitePage;
use crate::pages::playground::PlaygroundPage;
use crate::pages::organization::{self, OrgTab, OrganizationPage};
use crate::pages::project_settings::ProjectSettingsPage;
use crate::pages::prompt_detail::PromptPage;
use crate::pages::prompt_new::PromptNewPage;
use crate::pages::prompts::PromptsPage;
use crate::pages::sessions::{SessionPage, SessionsPage};
use crate::pages::trace_detail::{SharedTracePage, TraceDetailPage};
use crate::pages::traces::TracesPage;
use crate::pages::users::{UserPage, UsersPage};

/// A page of an area. `repr(u8)`: it crosses the boundary between the main module and the
/// area's module as a plain integer.
#[repr(u8)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Page {
    SignIn,
    SignUp,
    Invite,
    Home,
    Account,
    OrgProjects,
    OrgMembers,
    OrgUsage,
    AdminPlans,
    OrgAuditLog,
    OrgSettings,
    ProjectSettings,
    Models,
    Traces,
    Trace,
    SharedTrace,
    Sessions,
    Session,
    Users,
    User,
    Prompts,
    PromptNew,
    Prompt,
    Playground,
    Scores,
    AnnotationQueues,
    AnnotationQueue,
    AnnotationReview,
    Datasets,
    Dataset,
    DatasetItem,
    DatasetRun,
    CompareRuns,
    Evaluators,
    EvaluatorNew,
    Evaluator,
    ProjectHome,
    Dashboards,
    Dashboard,
}

// One lazy function per area, each naming its own pages: wasm-split moves code by function, so a
// function shared by the areas (one `match` over every page, say) would pull every page into a
// module that all the areas load. Name each `<something>_area`: the release build packs a page's
// first modules by area and recognises areas by that name (`xtask/src/pack.rs`); a lazy function
// named otherwise is taken for a tool loaded after an area (`page_tool`), and navigations out of
// it would fetch their modules one by one.

#[lazy]
fn sign_in_area(page: Page) -> AnyView {
    match page {
        Page::SignIn => view! { <SignInPage /> }.into_any(),
        Page::SignUp => view! { <SignUpPage /> }.into_any(),
        Page::Invite => view! { <InvitePage /> }.into_any(),
        _ => unreachable_page(page),
    }
}

// The traces list alone: where work on a project's traces starts (the sidebar's first entry),
// kept apart from the sessions and users lists so that its first visit carries only its own
// code (issue #16: 622 → 582 KB gzip -9; docs/BENCHMARKS.md, "The traces list apart").
#[lazy]
fn traces_area(page: Page) -> AnyView {
    match page {
        Page::Traces => view! { <TracesPage /> }.into_any(),
        _ => unreachable_page(page),
    }
}

#[lazy]
fn sessions_area(page: Page) -> AnyView {
    match page {
        Page::Sessions => view! { <SessionsPage /> }.into_any(),
        Page::Users => view! { <UsersPage /> }.into_any(),
        _ => unreachable_page(page),
    }
}

#[lazy]
fn details_area(page: Page) -> AnyView {
    match page {
        Page::Trace => view! { <TraceDetailPage /> }.into_any(),
        Page::SharedTrace => view! { <SharedTracePage /> }.into_any(),
        Page::Session => view! { <SessionPage /> }.into_any(),
        Page::User => view! { <UserPage /> }.into_any(),
        _ => unreachable_page(page),
    }
}

#[lazy]
fn prompts_area(page: Page) -> AnyView {
    match page {
        Page::Prompts => view! { <PromptsPage /> }.into_any(),
        Page::Prompt => view! { <PromptPage /> }.into_any(),
        Page::Evaluators => view! { <EvaluatorsPage /> }.into_any(),
        Page::EvaluatorNew => view! { <EvaluatorNewPage /> }.into_any(),
        Page::Evaluator => view! { <EvaluatorPage /> }.into_any(),
        _ => unreachable_page(page),
    }
}

#[lazy]
fn editor_area(page: Page) -> AnyView {
    match page {
        Page::PromptNew => view! { <PromptNewPage /> }.into_any(),
        Page::Playground => view! { <PlaygroundPage /> }.into_any(),
        _ => unreachable_page(page),
    }
}

#[lazy]
fn evaluation_area(page: Page) -> AnyView {
    match page {
        Page::Scores => view! { <ScoresPage /> }.into_any(),
        Page::AnnotationQueues => view! { <AnnotationQueuesPage /> }.into_any(),
        Page::AnnotationQueue => view! { <AnnotationQueuePage /> }.into_any(),
        Page::AnnotationReview => view! { <ReviewPage /> }.into_any(),
        _ => unreachable_page(page),
    }
}

#[lazy]
fn datasets_area(page: Page) -> AnyView {
    match page {
        Page::Datasets => view! { <DatasetsPage /> }.into_any(),
        Page::Dataset => view! { <DatasetPage /> }.into_any(),
        Page::DatasetItem => view! { <DatasetItemPage /> }.into_any(),
        Page::DatasetRun => view! { <DatasetRunPage /> }.into_any(),
        Page::CompareRuns => view! { <CompareRunsPage /> }.into_any(),
        _ => unreachable_page(page),
    }
}

#[lazy]
fn dashboards_area(page: Page) -> AnyView {
    match page {
        Page::ProjectHome => view! { <ProjectHomePage /> }.into_any(),
        Page::Dashboards => view! { <DashboardsPage /> }.into_any(),
        Page::Dashboard => view! { <DashboardPage /> }.into_any(),
        Page::OrgUsage => view! { <OrganizationPage tab=OrgTab::Usage body=crate::pages::usage::usage_tab /> }.into_any(),
        Page::AdminPlans => view! { <crate::pages::admin_plans::AdminPlansPage /> }.into_any(),
        Page::Models => view! { <crate::pages::models::ModelsPage /> }.into_any(),
        _ => unreachable_page(page),
    }
}

#[lazy]
fn settings_area(page: Page) -> AnyView {
    match page {
        Page::Home => view! { <HomePage /> }.into_any(),
        Page::Account => view! { <AccountPage /> }.into_any(),
        Page::OrgProjects => view! { <OrganizationPage tab=OrgTab::Projects body=organization::projects_tab /> }.into_any(),
        Page::OrgMembers => view! { <OrganizationPage tab=OrgTab::Members body=organization::members_tab /> }.into_any(),
        Page::OrgAuditLog => view! { <OrganizationPage tab=OrgTab::AuditLog body=organization::audit_log_tab /> }.into_any(),
        Page::OrgSettings => view! { <OrganizationPage tab=OrgTab::Settings body=organization::settings_tab /> }.into_any(),
        Page::ProjectSettings => view! { <ProjectSettingsPage /> }.into_any(),
        _ => unreachable_page(page),
    }
}

/// The parts of the bundle the areas are in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Area {
    SignIn,
    /// The traces list.
    Traces,
    /// The sessions and users lists.
    Sessions,
    /// The explorer's detail pages: a trace (also shared), a session, a user.
    Details,
    Prompts,
    Editor,
    Evaluation,
    Datasets,
    Dashboards,
    Settings,
}

/// What must be loaded before the page at a URL path can hydrate.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Preload {
    /// A lazy route of this area.
    Area(Area),
    /// A path no route names (the 404 page is in the main bundle, but a route this table forgot
    /// must still hydrate: everything is loaded rather than failing).
    Everything,
}

/// The area of the page at `path`, mirroring the route table in `lib.rs` (its test names a path
/// of every route, so the two cannot drift apart unnoticed).
pub fn preload_for(path: &str) -> Preload {
    let segments: Vec<&str> = path.trim_matches('/').split('/').collect();
    let area = match segments.as_slice() {
        [""] | ["account"] => Area::Settings,
        ["sign-in"] | ["sign-up"] | ["invite", _] => Area::SignIn,
        ["organization", _] | ["organization", _, "members" | "audit-log" | "settings"] => Area::Settings,
        ["organization", _, "usage"] | ["admin", "plans"] => Area::Dashboards,
        ["project", _, "settings"] => Area::Settings,
        ["project", _, "settings", "models"] => Area::Dashboards,
        ["project", _, "traces"] => Area::Traces,
        ["project", _, "sessions" | "users"] => Area::Sessions,
        ["project", _, "traces" | "sessions" | "users", _] => Area::Details,
        ["share", "traces", _, _] => Area::Details,
        ["project", _, "prompts", "new"] | ["project", _, "playground"] => Area::Editor,
        ["project", _, "prompts", ..] => Area::Prompts,
        ["project", _, "scores"] | ["project", _, "annotation-queues", ..] => Area::Evaluation,
        ["project", _, "datasets", ..] => Area::Datasets,
        ["project", _, "evaluators", ..] => Area::Prompts,
        ["project", _] | ["project", _, "dashboards"] | ["project", _, "dashboards", _] => Area::Dashboards,
        _ => return Preload::Everything,
    };
    Preload::Area(area)
}

/// Loads what the page at `path` needs before it hydrates (browser only).
#[cfg(feature = "hydrate")]
pub async fn preload_for_path(path: &str) {
    async fn area(area: Area) {
        match area {
            Area::SignIn => __preload_sign_in_area().await,
            Area::Traces => __preload_traces_area().await,
            Area::Sessions => __preload_sessions_area().await,
            Area::Details => __preload_details_area().await,
            Area::Prompts => __preload_prompts_area().await,
            Area::Editor => __preload_editor_area().await,
            Area::Evaluation => __preload_evaluation_area().await,
            Area::Datasets => __preload_datasets_area().await,
            Area::Dashboards => __preload_dashboards_area().await,
            Area::Settings => __preload_settings_area().await,
        }
    }
    match preload_for(path) {
        Preload::Area(one) => area(one).await,
        Preload::Everything => {
            for one in [Area::SignIn, Area::Traces, Area::Sessions, Area::Details, Area::Prompts, Area::Editor, Area::Evaluation, Area::Datasets, Area::Dashboards, Area::Settings] {
                area(one).await;
            }
        }
    }
}

/// A page routed to the wrong area: a bug in the table below, shown rather than panicking.
fn unreachable_page(page: Page) -> AnyView {
    view! { <p class="p-6 text-sm text-red-700 dark:text-red-400">{format!("Internal error: {page:?} is routed to the wrong part of the bundle.")}</p> }.into_any()
}

/// `lazy_page!(Route => area(Page::X))`: a lazy route showing page X from its area.
macro_rules! lazy_page {
    ($($route:ident => $area:ident($page:expr);)*) => {$(
        #[doc = concat!("The lazily loaded route of `", stringify!($page), "`.")]
        pub struct $route;

        impl LazyRoute for $route {
            fn data() -> Self {
                $route
            }

            async fn view(_this: Self) -> AnyView {
                $area($page).await
            }
        }
    )*};
}

lazy_page! {
    SignInRoute => sign_in_area(Page::SignIn);
    SignUpRoute => sign_in_area(Page::SignUp);
    InviteRoute => sign_in_area(Page::Invite);
    HomeRoute => settings_area(Page::Home);
    AccountRoute => settings_area(Page::Account);
    OrgProjectsRoute => settings_area(Page::OrgProjects);
    OrgMembersRoute => settings_area(Page::OrgMembers);
    OrgUsageRoute => dashboards_area(Page::OrgUsage);
    AdminPlansRoute => dashboards_area(Page::AdminPlans);
    OrgAuditLogRoute => settings_area(Page::OrgAuditLog);
    OrgSettingsRoute => settings_area(Page::OrgSettings);
    ProjectSettingsRoute => settings_area(Page::ProjectSettings);
    ModelsRoute => dashboards_area(Page::Models);
    TracesRoute => traces_area(Page::Traces);
    TraceRoute => details_area(Page::Trace);
    SharedTraceRoute => details_area(Page::SharedTrace);
    SessionsRoute => sessions_area(Page::Sessions);
    SessionRoute => details_area(Page::Session);
    UsersRoute => sessions_area(Page::Users);
    UserRoute => details_area(Page::User);
    PromptsRoute => prompts_area(Page::Prompts);
    PromptNewRoute => editor_area(Page::PromptNew);
    PromptRoute => prompts_area(Page::Prompt);
    PlaygroundRoute => editor_area(Page::Playground);
    ScoresRoute => evaluation_area(Page::Scores);
    AnnotationQueuesRoute => evaluation_area(Page::AnnotationQueues);
    AnnotationQueueRoute => evaluation_area(Page::AnnotationQueue);
    AnnotationReviewRoute => evaluation_area(Page::AnnotationReview);
    DatasetsRoute => datasets_area(Page::Datasets);
    DatasetRoute => datasets_area(Page::Dataset);
    DatasetItemRoute => datasets_area(Page::DatasetItem);
    DatasetRunRoute => datasets_area(Page::DatasetRun);
    CompareRunsRoute => datasets_area(Page::CompareRuns);
    EvaluatorsRoute => prompts_area(Page::Evaluators);
    EvaluatorNewRoute => prompts_area(Page::EvaluatorNew);
    EvaluatorRoute => prompts_area(Page::Evaluator);
    ProjectHomeRoute => dashboards_area(Page::ProjectHome);
    DashboardsRoute => dashboards_area(Page::Dashboards);
    DashboardRoute => dashboards_area(Page::Dashboard);
}

#[cfg(test)]
mod tests {
    use super::*;

    /// One path per route of `lib.rs`, with the area its lazy route loads.
    #[test]
    fn every_route_path_finds_its_area() {
        let cases = [
            ("/", Preload::Area(Area::Settings)),
            ("/sign-in", Preload::Area(Area::SignIn)),
            ("/sign-up", Preload::Area(Area::SignIn)),
            ("/invite/abc", Preload::Area(Area::SignIn)),
            ("/account", Preload::Area(Area::Settings)),
            ("/organization/o1", Preload::Area(Area::Settings)),
            ("/organization/o1/members", Preload::Area(Area::Settings)),
            ("/organization/o1/usage", Preload::Area(Area::Dashboards)),
            ("/admin/plans", Preload::Area(Area::Dashboards)),
            ("/organization/o1/audit-log", Preload::Area(Area::Settings)),
            ("/organization/o1/settings", Preload::Area(Area::Settings)),
            ("/project/p1", Preload::Area(Area::Dashboards)),
            ("/project/p1/traces", Preload::Area(Area::Traces)),
            ("/project/p1/traces/abc.def", Preload::Area(Area::Details)),
            ("/share/traces/p1/t1", Preload::Area(Area::Details)),
            ("/project/p1/sessions", Preload::Area(Area::Sessions)),
            ("/project/p1/sessions/sess.1-%E4%BC%9A", Preload::Area(Area::Details)),
            ("/project/p1/users", Preload::Area(Area::Sessions)),
            ("/project/p1/users/carol%40globex.com", Preload::Area(Area::Details)),
            ("/project/p1/prompts", Preload::Area(Area::Prompts)),
            ("/project/p1/prompts/new", Preload::Area(Area::Editor)),
            ("/project/p1/prompts/folder/sub/name.v2", Preload::Area(Area::Prompts)),
            ("/project/p1/playground", Preload::Area(Area::Editor)),
            ("/project/p1/scores", Preload::Area(Area::Evaluation)),
            ("/project/p1/annotation-queues", Preload::Area(Area::Evaluation)),
            ("/project/p1/annotation-queues/q.1", Preload::Area(Area::Evaluation)),
            ("/project/p1/annotation-queues/q.1/review", Preload::Area(Area::Evaluation)),
            ("/project/p1/datasets", Preload::Area(Area::Datasets)),
            ("/project/p1/datasets/d.1", Preload::Area(Area::Datasets)),
            ("/project/p1/datasets/d.1/items/i%2F1", Preload::Area(Area::Datasets)),
            ("/project/p1/datasets/d.1/runs/r1", Preload::Area(Area::Datasets)),
            ("/project/p1/datasets/d.1/compare", Preload::Area(Area::Datasets)),
            ("/project/p1/evaluators", Preload::Area(Area::Prompts)),
            ("/project/p1/evaluators/new", Preload::Area(Area::Prompts)),
            ("/project/p1/evaluators/e1", Preload::Area(Area::Prompts)),
            ("/project/p1/dashboards", Preload::Area(Area::Dashboards)),
            ("/project/p1/dashboards/d.1", Preload::Area(Area::Dashboards)),
            ("/project/p1/settings", Preload::Area(Area::Settings)),
            ("/project/p1/settings/models", Preload::Area(Area::Dashboards)),
            ("/no/such/page", Preload::Everything),
            ("/project/p1/traces/t1/extra", Preload::Everything),
        ];
        for (path, expected) in cases {
            assert_eq!(preload_for(path), expected, "{path}");
        }
    }
}
