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

#[tokio::test]
async fn pages_render_on_the_server() {
    let pool = common::fresh_database().await;
    let (status, body) = send(&pool, get("/")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(body.contains("Welcome to Loupe"));
    assert!(body.contains("/pkg/loupe.css"));
    for label in ["Traces", "Sessions", "Users", "Prompts", "Playground", "Scores", "Annotation queues", "Datasets", "Evaluators", "Dashboards", "Settings"] {
        assert!(body.contains(&format!("<span>{label}</span>")), "navigation lacks {label}");
    }

    let (status, body) = send(&pool, get("/datasets")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(body.contains("Datasets is not built yet"), "{body}");
}

#[tokio::test]
async fn unknown_pages_are_404_with_the_app_shell() {
    let pool = common::fresh_database().await;
    let (status, body) = send(&pool, get("/no/such/page")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(body.contains("Page not found"));
    assert!(body.contains("aria-label=\"Main\""), "the 404 page keeps the navigation");
}

#[tokio::test]
async fn system_status_server_function_reads_postgres() {
    let pool = common::fresh_database().await;
    sqlx::query("INSERT INTO organizations (id, name) VALUES ('o1', 'One'), ('o2', 'Two')").execute(&pool).await.unwrap();
    sqlx::query("INSERT INTO projects (id, org_id, name) VALUES ('p1', 'o1', 'P')").execute(&pool).await.unwrap();
    let request = Request::post("/api/ui/system_status")
        .header("content-type", "application/x-www-form-urlencoded")
        .header("accept", "application/json")
        .body(Body::empty())
        .unwrap();
    let (status, body) = send(&pool, request).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let json: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(json["n_organizations"], 2);
    assert_eq!(json["n_projects"], 1);
    assert_eq!(json["n_users"], 0);
    assert_eq!(json["database_mode"], "Embedded");
    assert!(json["postgres_version"].as_str().unwrap().starts_with(char::is_numeric));
}
