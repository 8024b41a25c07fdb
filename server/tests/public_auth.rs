//! API-key authentication of `/api/public/*` (docs/COMPATIBILITY.md §1).

use crate::common;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use base64::Engine;
use common::TestApi;

fn basic(pair: &str) -> String {
    format!("Basic {}", base64::engine::general_purpose::STANDARD.encode(pair))
}

async fn status_with(api: &TestApi, path: &str, authorization: Option<&str>) -> (StatusCode, serde_json::Value) {
    let mut request = Request::get(path);
    if let Some(value) = authorization {
        request = request.header("authorization", value);
    }
    let response = api.send(request.body(Body::empty()).unwrap()).await;
    (response.status, response.json())
}

#[tokio::test]
async fn missing_wrong_and_malformed_credentials_are_401_with_langfuse_messages() {
    let api = TestApi::new().await;
    let (status, body) = status_with(&api, "/api/public/projects", None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(body["message"], "No authorization header");

    for header in [basic("pk-lf-a:sk-lf-wrong"), basic("pk-lf-unknown:sk-lf-a"), basic("pk-lf-a:"), basic("nocolon"), "Token abc".into()] {
        let (status, body) = status_with(&api, "/api/public/projects", Some(&header)).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{header}");
        assert!(body["message"].as_str().unwrap().starts_with("Invalid"), "{header}: {body}");
    }
    // A wrong secret stays wrong when asked again (the negative cache must not flip it).
    let (status, _) = status_with(&api, "/api/public/projects", Some(&basic("pk-lf-a:sk-lf-wrong"))).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn bearer_public_key_is_refused_on_basic_only_routes() {
    let api = TestApi::new().await;
    let (status, body) = status_with(&api, "/api/public/traces", Some("Bearer pk-lf-a")).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(body["message"].as_str().unwrap().contains("Access denied"), "{body}");
}

#[tokio::test]
async fn expired_keys_and_keys_of_deleted_projects_are_refused() {
    let api = TestApi::new().await;
    sqlx::query("UPDATE api_keys SET expires_at = now() - interval '1 minute' WHERE public_key = 'pk-lf-a'")
        .execute(&api.pool)
        .await
        .unwrap();
    let (status, _) = status_with(&api, "/api/public/traces", Some(&api.basic_auth())).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);

    let other = api.with_project("proj-b", "pk-lf-b", "sk-lf-b").await;
    sqlx::query("UPDATE projects SET deleted_at = now() WHERE id = 'proj-b'").execute(&api.pool).await.unwrap();
    let (status, _) = status_with(&other, "/api/public/traces", Some(&other.basic_auth())).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn a_valid_key_is_accepted_and_its_use_recorded() {
    let api = TestApi::new().await;
    // Any authenticated route will do; the score POST accepts an empty array.
    let response = api.call("POST", "/api/public/ingestion", Some(serde_json::json!({ "batch": [] }))).await;
    assert_ne!(response.status, StatusCode::UNAUTHORIZED, "{}", response.text());
    let last_used: Option<chrono::DateTime<chrono::Utc>> =
        sqlx::query_scalar("SELECT last_used_at FROM api_keys WHERE public_key = 'pk-lf-a'").fetch_one(&api.pool).await.unwrap();
    assert!(last_used.is_some());
}

#[tokio::test]
async fn cors_preflight_is_answered_for_browser_feedback() {
    let api = TestApi::new().await;
    let request = Request::builder()
        .method("OPTIONS")
        .uri("/api/public/scores")
        .header("origin", "https://shop.example")
        .header("access-control-request-method", "POST")
        .header("access-control-request-headers", "authorization,content-type")
        .body(Body::empty())
        .unwrap();
    let response = api.send(request).await;
    assert_eq!(response.status, StatusCode::OK);
    assert_eq!(response.headers["access-control-allow-origin"], "*");
}
