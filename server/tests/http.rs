//! The HTTP surface driven in-process (`Router::oneshot`) against a real Postgres.

mod common;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use http_body_util::BodyExt;
use loupe_app::domain::system::DatabaseMode;
use loupe_app::state::AppState;
use sqlx::PgPool;
use tower::ServiceExt;

fn state(pool: PgPool) -> AppState {
    let site_root = std::env::temp_dir();
    AppState {
        leptos_options: loupe_server::leptos_options(&site_root, "127.0.0.1:3000".parse().unwrap()),
        pool,
        database_mode: DatabaseMode::Embedded,
        settings: Default::default(),
    }
}

async fn send(pool: &PgPool, request: Request<Body>) -> (StatusCode, String) {
    let response = loupe_server::http::router(state(pool.clone())).oneshot(request).await.unwrap();
    let status = response.status();
    let body = response.into_body().collect().await.unwrap().to_bytes();
    (status, String::from_utf8_lossy(&body).into_owned())
}

fn get(path: &str) -> Request<Body> {
    Request::get(path).body(Body::empty()).unwrap()
}

#[tokio::test]
async fn health_is_ok_with_version() {
    let pool = common::fresh_database().await;
    let (status, body) = send(&pool, get("/api/public/health")).await;
    assert_eq!(status, StatusCode::OK);
    let json: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(json, serde_json::json!({ "status": "OK", "version": env!("CARGO_PKG_VERSION") }));
}

#[tokio::test]
async fn health_is_503_when_the_database_is_gone() {
    let pool = common::fresh_database().await;
    pool.close().await;
    let (status, body) = send(&pool, get("/api/public/health")).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    assert!(body.contains("Database not available"), "{body}");
}

#[tokio::test]
async fn unknown_public_api_route_is_a_json_404() {
    let pool = common::fresh_database().await;
    let (status, body) = send(&pool, get("/api/public/nothing-here")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let json: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(json["message"], "no public API route for GET /api/public/nothing-here");
}

/// A page as a signed-in browser loads it.
async fn page(browser: &common::ui::Browser<'_>, path: &str) -> (StatusCode, String) {
    let request = Request::get(path).header("cookie", browser.cookie.clone().unwrap()).body(Body::empty()).unwrap();
    let response = browser.send(request).await;
    (response.status, response.text())
}

#[tokio::test]
async fn pages_render_on_the_server() {
    let api = common::TestApi::new().await;
    let mut browser = common::ui::Browser::sign_up(&api, "alice@example.com", "correct horse battery").await;
    let (_, project) = browser.create_org("Acme", "Chatbot").await;
    let (status, body) = page(&browser, "/").await;
    assert_eq!(status, StatusCode::OK);
    assert!(body.contains("Welcome to Loupe"));
    assert!(body.contains("/pkg/loupe.css"));

    let (status, body) = page(&browser, &format!("/project/{project}/datasets")).await;
    assert_eq!(status, StatusCode::OK);
    for label in ["Traces", "Sessions", "Users", "Prompts", "Playground", "Scores", "Annotation queues", "Datasets", "Evaluators", "Dashboards", "Settings"] {
        assert!(body.contains(&format!("<span>{label}</span>")), "navigation lacks {label}");
    }
    assert!(body.contains(&format!("href=\"/project/{project}/traces\"")), "links stay in the project");
    assert!(body.contains("Datasets is not built yet"), "{body}");

    // Someone else's (or no) project: not found, whichever it is.
    let (status, body) = page(&browser, "/project/proj-a/datasets").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(body.contains("This project was not found"), "{body}");
}

#[tokio::test]
async fn unknown_pages_are_404_with_the_app_shell() {
    let api = common::TestApi::new().await;
    let browser = common::ui::Browser::sign_up(&api, "alice@example.com", "correct horse battery").await;
    let (status, body) = page(&browser, "/no/such/page").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(body.contains("Page not found"));
    assert!(body.contains("aria-label=\"Main\""), "the 404 page keeps the navigation");
}

#[tokio::test]
async fn system_status_server_function_reads_postgres() {
    let api = common::TestApi::new().await;
    let pool = api.pool.clone();
    sqlx::query("INSERT INTO organizations (id, name) VALUES ('o1', 'One'), ('o2', 'Two')").execute(&pool).await.unwrap();
    sqlx::query("INSERT INTO projects (id, org_id, name) VALUES ('p1', 'o1', 'P')").execute(&pool).await.unwrap();
    // Signed out: refused; the instance's first account administers it and may read it.
    assert_eq!(common::ui::Browser::new(&api).call("system_status", &[]).await.status, 401);
    let mut admin = common::ui::Browser::sign_up(&api, "admin@example.com", "correct horse battery").await;
    let json = admin.ok("system_status", &[]).await;
    assert_eq!(json["n_organizations"], 3, "org-a of the harness and two here");
    assert_eq!(json["n_projects"], 2);
    assert_eq!(json["n_users"], 1);
    let mut other = common::ui::Browser::sign_up(&api, "bob@example.com", "correct horse battery").await;
    assert_eq!(other.call("system_status", &[]).await.status, 403, "other people do not see instance-wide counts");
    assert_eq!(json["database_mode"], "Embedded");
    assert!(json["postgres_version"].as_str().unwrap().starts_with(char::is_numeric));
}
