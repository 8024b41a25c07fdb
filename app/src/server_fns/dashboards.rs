//! Dashboards in the UI (#22): a widget's data through the metrics engine, and the project's
//! custom dashboards (list, create, rename, widgets, delete).
//!
//! Who may do what: everyone in the project reads (the home dashboard and every custom one);
//! Members and up create, change and delete custom dashboards (`WriteDashboards`). Every write is
//! audited in its transaction.
//!
//! A board's widgets are checked as the domain checks stored widgets (`dashboards::check_widget`)
//! and run by `loupe_core::metrics::run` on the caller's project only, over the range the URL
//! names, resolved here (so the server and the browser agree on "now"), with the board's filters
//! added where they apply. A refusal names the field (`widgets[0].query.metrics[0].aggregation`).

use chrono::{DateTime, Utc};
use leptos::prelude::*;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::domain::dashboards::{BoardFilters, Dashboard, DashboardSummary, Widget};
use crate::domain::metrics_query::{Granularity, Row};
use crate::error::AppError;

/// A board's time range as the URL spells it (`range`: blank, a preset or `custom` with `from`
/// and `to`); checked on the server with the field named.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(default)]
pub struct RangeInput {
    pub range: String,
    pub from: String,
    pub to: String,
}

/// A widget's rows.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WidgetData {
    pub rows: Vec<Row>,
    /// The bucket size the rows are in (`auto` resolved), for charts over time.
    pub granularity: Option<Granularity>,
    /// The board's filters that do not apply to the widget's view (a model for traces).
    pub ignored: Vec<String>,
}

/// A board's data: the range resolved on the server (so server and browser agree on "now") and
/// each widget's rows or refusal, in the widgets' order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BoardData {
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
    pub widgets: Vec<Result<WidgetData, AppError>>,
}

/// The dashboards list and whether the person may change it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DashboardList {
    pub dashboards: Vec<DashboardSummary>,
    pub can_write: bool,
}

/// A dashboard and whether the person may change it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DashboardView {
    pub dashboard: Dashboard,
    pub can_write: bool,
}

#[cfg(feature = "ssr")]
mod support {
    pub use crate::server_fns::support::*;
    use crate::domain::dashboards::{WidgetProblem, MAX_TITLE};
    use crate::error::AppError;
    use crate::language::{request_locale, say};
    use loupe_core::scope::ProjectId;

    pub async fn find(pool: &sqlx::PgPool, project: &ProjectId, id: &str) -> Result<crate::domain::dashboards::Dashboard, AppError> {
        crate::store::dashboards::get(pool, project, id).await?.ok_or_else(|| AppError::NotFound(say!(dashboards.errors.no_dashboard)))
    }

    /// A widget problem as a 400 naming its field, worded in the request's language.
    pub fn refused(problem: WidgetProblem) -> AppError {
        let message = crate::pages::dashboards::words::problem(request_locale(), &problem);
        AppError::Invalid { field: problem.field, message }
    }

    /// A description: trimmed, `None` when blank, at most 2,000 characters.
    pub fn checked_description(text: &str) -> Result<Option<String>, AppError> {
        let text = text.trim();
        if text.chars().count() > 2000 {
            return Err(AppError::invalid("description", say!(dashboards.errors.description_too_long)));
        }
        Ok(Some(text.to_string()).filter(|d| !d.is_empty()))
    }

    pub fn dashboard_name(text: &str) -> Result<String, AppError> {
        let name = crate::server_fns::support::name("name", text)?;
        debug_assert!(name.chars().count() <= 255 && MAX_TITLE <= 255);
        Ok(name)
    }
}

/// Runs widgets' queries over the range and with the board's filters, on the caller's project
/// (everyone in the project): a board's data in one call, each widget's queries concurrently.
/// A bad range or filter refuses the call naming the URL parameter; a bad widget gets its own
/// refusal in its place (`widgets[2].query.metrics[0].measure`), the others still answer.
#[server(prefix = "/api/ui", endpoint = "run_widgets", input = leptos::server_fn::codec::Json)]
pub async fn run_widgets(project_id: String, widgets: Vec<Widget>, range: RangeInput, filters: BoardFilters) -> Result<BoardData, AppError> {
    use crate::domain::dashboards::{check_widget, TimeRange, MAX_WIDGETS};
    use crate::domain::metrics_query::ApiVersion;
    use crate::language::{request_locale, say};
    use support::*;
    respond(async {
        let ProjectCall { state, scope, .. } = project_call(&project_id, crate::domain::Action::ReadProjectData).await?;
        let locale = request_locale();
        let time_range =
            TimeRange::parse(&range.range, &range.from, &range.to).map_err(|p| AppError::invalid(p.field(), crate::pages::dashboards::words::range_problem(locale, &p)))?;
        filters.check().map_err(refused)?;
        if widgets.len() > MAX_WIDGETS {
            return Err(AppError::invalid("widgets", crate::pages::dashboards::words::problem(locale, &crate::domain::dashboards::WidgetProblem {
                field: "widgets".into(),
                problem: crate::domain::dashboards::Problem::TooMany,
            })));
        }
        let (from, to) = time_range.resolve(Utc::now());
        // Spawned, so the queries run side by side; each task owns what it needs (the request's
        // context stays here, where the refusals are worded).
        let mut tasks = Vec::with_capacity(widgets.len());
        for (i, widget) in widgets.iter().enumerate() {
            if let Err(problem) = check_widget(i, widget) {
                tasks.push(Err(refused(problem)));
                continue;
            }
            let (extra, ignored) = filters.for_view(widget.query.view);
            let query = widget.query.at(from, to, &extra);
            let granularity = query.time_dimension.map(|t| t.granularity.resolve(from, to));
            let (pool, project) = (state.pool.clone(), scope.project_id.clone());
            let run = tokio::spawn(async move { loupe_core::metrics::run(&pool, &project, &query, ApiVersion::V1).await });
            tasks.push(Ok((i, run, granularity, ignored)));
        }
        let mut results = Vec::with_capacity(tasks.len());
        for task in tasks {
            let (i, run, granularity, ignored) = match task {
                Ok(task) => task,
                Err(refusal) => {
                    results.push(Err(refusal));
                    continue;
                }
            };
            let answer = match run.await {
                Ok(Ok(rows)) => Ok(WidgetData { rows, granularity, ignored: ignored.into_iter().map(str::to_string).collect() }),
                Ok(Err(loupe_core::metrics::MetricsError::BadQuery(q))) => {
                    Err(AppError::invalid(&format!("widgets[{i}].query.{}", q.field), say!(dashboards.errors.bad_query, detail = q.message)))
                }
                Ok(Err(loupe_core::metrics::MetricsError::Store(e))) => Err(AppError::from(e)),
                Err(panicked) => {
                    tracing::error!("a widget's query task failed: {panicked}");
                    Err(AppError::Internal)
                }
            };
            results.push(answer);
        }
        Ok(BoardData { from, to, widgets: results })
    }
    .await)
}

/// The project's custom dashboards, most recently changed first.
#[server(prefix = "/api/ui", endpoint = "list_dashboards")]
pub async fn list_dashboards(project_id: String) -> Result<DashboardList, AppError> {
    use support::*;
    respond(async {
        let ProjectCall { state, scope, .. } = project_call(&project_id, crate::domain::Action::ReadProjectData).await?;
        let dashboards = crate::store::dashboards::list(&state.pool, &scope.project_id).await?;
        Ok(DashboardList { dashboards, can_write: scope.role.can(crate::domain::Action::WriteDashboards) })
    }
    .await)
}

/// One custom dashboard with its widgets.
#[server(prefix = "/api/ui", endpoint = "get_dashboard")]
pub async fn get_dashboard(project_id: String, dashboard_id: String) -> Result<DashboardView, AppError> {
    use support::*;
    respond(async {
        let ProjectCall { state, scope, .. } = project_call(&project_id, crate::domain::Action::ReadProjectData).await?;
        let dashboard = find(&state.pool, &scope.project_id, &dashboard_id).await?;
        Ok(DashboardView { dashboard, can_write: scope.role.can(crate::domain::Action::WriteDashboards) })
    }
    .await)
}

/// Creates a dashboard (Members and up): empty, or with the home dashboard's widgets to start
/// from (`from_home`).
#[server(prefix = "/api/ui", endpoint = "create_dashboard")]
pub async fn create_dashboard(project_id: String, name: String, description: String, from_home: bool) -> Result<Dashboard, AppError> {
    use support::{audit, checked_description, dashboard_name, project_call, refused, respond, ProjectCall};
    respond(async {
        let ProjectCall { state, user, scope } = project_call(&project_id, crate::domain::Action::WriteDashboards).await?;
        let project = &scope.project_id;
        let name = dashboard_name(&name)?;
        let description = checked_description(&description)?;
        let locale = crate::language::request_locale();
        // The home's widgets carry translation keys as titles; a copy gets the words.
        let widgets: Vec<Widget> = if from_home {
            crate::domain::dashboards::home().into_iter().map(|w| Widget { title: crate::pages::dashboards::words::home_title(locale, &w.title).to_string(), ..w }).collect()
        } else {
            Vec::new()
        };
        crate::domain::dashboards::check_widgets(&widgets).map_err(refused)?;
        let mut tx = state.pool.begin().await?;
        let created = crate::store::dashboards::create(&mut tx, project, &name, description.as_deref(), &widgets, &user.user_id).await?;
        audit(&mut tx, &user.user_id, &scope.org_id, Some(project), "dashboard.create", "dashboard", &created.id, None, serde_json::to_value(&created).ok()).await?;
        tx.commit().await?;
        Ok(created)
    }
    .await)
}

/// Renames a dashboard and sets its description (Members and up).
#[server(prefix = "/api/ui", endpoint = "rename_dashboard")]
pub async fn rename_dashboard(project_id: String, dashboard_id: String, name: String, description: String) -> Result<Dashboard, AppError> {
    use crate::language::say;
    use support::{audit, checked_description, dashboard_name, project_call, respond, ProjectCall};
    respond(async {
        let ProjectCall { state, user, scope } = project_call(&project_id, crate::domain::Action::WriteDashboards).await?;
        let project = &scope.project_id;
        let name = dashboard_name(&name)?;
        let description = checked_description(&description)?;
        let mut tx = state.pool.begin().await?;
        let before = crate::store::dashboards::lock(&mut tx, project, &dashboard_id).await?.ok_or_else(|| AppError::NotFound(say!(dashboards.errors.no_dashboard)))?;
        let after = crate::store::dashboards::rename(&mut tx, project, &before.id, &name, description.as_deref())
            .await?
            .ok_or_else(|| AppError::NotFound(say!(dashboards.errors.no_dashboard)))?;
        let names = |d: &Dashboard| serde_json::json!({"name": d.name, "description": d.description});
        audit(&mut tx, &user.user_id, &scope.org_id, Some(project), "dashboard.rename", "dashboard", &after.id, Some(names(&before)), Some(names(&after))).await?;
        tx.commit().await?;
        Ok(after)
    }
    .await)
}

/// Replaces a dashboard's widgets (Members and up): added, edited, removed and reordered in the
/// page, saved at once. `widgets` is JSON, so a wrong shape is refused naming its field
/// (`widgets[1].chart`) like a broken rule (`widgets[1].query.metrics[0].measure`).
#[server(prefix = "/api/ui", endpoint = "save_dashboard_widgets", input = leptos::server_fn::codec::Json)]
pub async fn save_dashboard_widgets(project_id: String, dashboard_id: String, widgets: Value) -> Result<Dashboard, AppError> {
    use crate::language::say;
    use support::*;
    respond(async {
        let ProjectCall { state, user, scope } = project_call(&project_id, crate::domain::Action::WriteDashboards).await?;
        let project = &scope.project_id;
        let widgets = crate::domain::dashboards::widgets_from_json(widgets).map_err(refused)?;
        let mut tx = state.pool.begin().await?;
        let before = crate::store::dashboards::lock(&mut tx, project, &dashboard_id).await?.ok_or_else(|| AppError::NotFound(say!(dashboards.errors.no_dashboard)))?;
        let after = crate::store::dashboards::set_widgets(&mut tx, project, &before.id, &widgets)
            .await?
            .ok_or_else(|| AppError::NotFound(say!(dashboards.errors.no_dashboard)))?;
        audit(
            &mut tx,
            &user.user_id,
            &scope.org_id,
            Some(project),
            "dashboard.widgets",
            "dashboard",
            &after.id,
            serde_json::to_value(&before.widgets).ok(),
            serde_json::to_value(&after.widgets).ok(),
        )
        .await?;
        tx.commit().await?;
        Ok(after)
    }
    .await)
}

/// Deletes a dashboard (Members and up; the audit log keeps its widgets).
#[server(prefix = "/api/ui", endpoint = "delete_dashboard")]
pub async fn delete_dashboard(project_id: String, dashboard_id: String) -> Result<(), AppError> {
    use crate::language::say;
    use support::*;
    respond(async {
        let ProjectCall { state, user, scope } = project_call(&project_id, crate::domain::Action::WriteDashboards).await?;
        let project = &scope.project_id;
        let mut tx = state.pool.begin().await?;
        let before = crate::store::dashboards::lock(&mut tx, project, &dashboard_id).await?.ok_or_else(|| AppError::NotFound(say!(dashboards.errors.no_dashboard)))?;
        crate::store::dashboards::delete(&mut tx, project, &before.id).await?;
        audit(&mut tx, &user.user_id, &scope.org_id, Some(project), "dashboard.delete", "dashboard", &before.id, serde_json::to_value(&before).ok(), None).await?;
        tx.commit().await?;
        Ok(())
    }
    .await)
}

/// How to send a first trace, when the project has none yet (the home dashboard's empty state);
/// `None` once it has one.
#[server(prefix = "/api/ui", endpoint = "dashboard_setup")]
pub async fn dashboard_setup(project_id: String) -> Result<Option<crate::domain::trace_list::SetupHint>, AppError> {
    use support::*;
    respond(async {
        let ProjectCall { state, scope, .. } = project_call(&project_id, crate::domain::Action::ReadProjectData).await?;
        if crate::store::traces::any(&state.pool, &scope.project_id).await? {
            return Ok(None);
        }
        let public_key = crate::store::api_keys::newest_public_key(&state.pool, &scope.project_id).await?;
        Ok(Some(crate::domain::trace_list::SetupHint { host: base_url(&state), public_key }))
    }
    .await)
}
