//! Dashboards (#22): the project home (`/project/{id}`, [`home`]), the custom dashboards list
//! (`/project/{id}/dashboards`, [`list`]) and a custom dashboard with its editor
//! (`/project/{id}/dashboards/{dashboard_id}`, [`dashboard`], [`editor`]). All of them are
//! widgets (`domain::dashboards::Widget`) drawn from the rows of `run_widgets` over the time
//! range and filters in the URL ([`board`]). They make the bundle's `dashboards` area
//! (`routes.rs`).

pub mod board;
pub mod dashboard;
pub mod editor;
pub mod home;
pub mod list;
pub mod words;

pub use dashboard::DashboardPage;
pub use home::ProjectHomePage;
pub use list::DashboardsPage;
