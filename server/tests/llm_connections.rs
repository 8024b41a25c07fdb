//! LLM connections through the public API (`/api/public/llm-connections`, docs/COMPATIBILITY.md
//! "LLM connections") on a real Postgres: Langfuse's upsert, list and delete, its validation, the
//! project scope, the audit log, and that a key is stored sealed: in no response, in no row, in no
//! byte of a `pg_dumpall`.

use crate::common;

use axum::http::StatusCode;
use common::TestApi;
use serde_json::{json, Value};

const SECRET: &str = "sk-live-THE-REAL-SECRET-9f3a";
const HEADER_VALUE: &str = "team-header-value-71c2";

fn connection() -> Value {
    json!({
        "provider": "openai-prod",
        "adapter": "openai",
        "secretKey": SECRET,
        "baseURL": null,
        "customModels": ["m1"],
        "withDefaultModels": true,
        "extraHeaders": {"X-Team": HEADER_VALUE}
    })
}

#[tokio::test]
async fn upsert_list_and_delete_like_langfuse_without_ever_showing_a_secret() {
    let api = TestApi::new().await;
    let created = api.call("PUT", "/api/public/llm-connections", Some(connection())).await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.text());
    let body = created.json();
    let id = body["id"].as_str().unwrap().to_string();
    assert_eq!(body["provider"], "openai-prod");
    assert_eq!(body["adapter"], "openai");
    assert_eq!(body["displaySecretKey"], "...9f3a");
    assert_eq!(body["baseURL"], Value::Null);
    assert_eq!(body["customModels"], json!(["m1"]));
    assert_eq!(body["withDefaultModels"], true);
    assert_eq!(body["extraHeaderKeys"], json!(["X-Team"]));
    assert_eq!(body["config"], Value::Null);
    assert!(body.get("secretKey").is_none() && body.get("extraHeaders").is_none(), "{body}");

    // The same name again replaces it (200): omitted fields are reset, an omitted config kept.
    let configured = api
        .call("PUT", "/api/public/llm-connections", Some(json!({"provider": "openai-prod", "adapter": "openai", "secretKey": "sk-new-abcd", "config": {"useResponsesApi": true}})))
        .await;
    assert_eq!(configured.status, StatusCode::OK, "{}", configured.text());
    let replaced = api
        .call("PUT", "/api/public/llm-connections", Some(json!({"provider": "openai-prod", "adapter": "openai", "secretKey": "sk-new-wxyz", "baseURL": "http://localhost:11434/v1/"})))
        .await;
    assert_eq!(replaced.status, StatusCode::OK, "{}", replaced.text());
    let replaced = replaced.json();
    assert_eq!(replaced["id"], id.as_str(), "upserted by provider: the same connection");
    assert_eq!(replaced["displaySecretKey"], "...wxyz");
    assert_eq!(replaced["baseURL"], "http://localhost:11434/v1");
    assert_eq!(replaced["customModels"], json!([]));
    assert_eq!(replaced["extraHeaderKeys"], json!([]));
    assert_eq!(replaced["config"], json!({"useResponsesApi": true}), "an omitted config keeps the stored one");

    let second = api.call("PUT", "/api/public/llm-connections", Some(json!({"provider": "claude", "adapter": "anthropic", "secretKey": "sk-ant-1234"}))).await;
    assert_eq!(second.status, StatusCode::CREATED);
    let listed = api.call("GET", "/api/public/llm-connections?limit=1", None).await;
    assert_eq!(listed.status, StatusCode::OK);
    let listed = listed.json();
    assert_eq!(listed["meta"], json!({"page": 1, "limit": 1, "totalItems": 2, "totalPages": 2}));
    assert_eq!(listed["data"][0]["provider"], "claude", "newest first");

    // Another project sees none of them and cannot delete them.
    let other = api.with_project("proj-b", "pk-lf-b", "sk-lf-b").await;
    assert_eq!(other.call("GET", "/api/public/llm-connections", None).await.json()["meta"]["totalItems"], 0);
    let refused = other.call("DELETE", &format!("/api/public/llm-connections/{id}"), None).await;
    assert_eq!(refused.status, StatusCode::NOT_FOUND);
    assert_eq!(refused.json()["message"], "LLM connection not found");

    // Changes are audited, by the API key, without a secret.
    let audit: Vec<(String, String)> = sqlx::query_as("SELECT action, coalesce(after::text, '') FROM audit_log WHERE resource_type = 'llm_connection' ORDER BY created_at, action")
        .fetch_all(&api.pool)
        .await
        .unwrap();
    assert_eq!(audit.iter().filter(|(a, _)| a == "llm_connection.create").count(), 2);
    assert_eq!(audit.iter().filter(|(a, _)| a == "llm_connection.update").count(), 2);

    // Nowhere in clear: not in a response, not in a row, not in a dump of the database.
    let dump = common::dump_database(&api.pool).await;
    for secret in ["sk-new-wxyz", "sk-ant-1234", SECRET, HEADER_VALUE] {
        assert!(!dump.contains(secret), "{secret} is in pg_dump in clear");
        assert!(!listed.to_string().contains(secret));
    }
    assert!(dump.contains("openai-prod"), "the dump does hold the connections");

    let deleted = api.call("DELETE", &format!("/api/public/llm-connections/{id}"), None).await;
    assert_eq!(deleted.status, StatusCode::OK);
    assert_eq!(deleted.json(), json!({"message": "LLM connection successfully deleted"}));
    assert_eq!(api.call("DELETE", &format!("/api/public/llm-connections/{id}"), None).await.status, StatusCode::NOT_FOUND);
    let actions: Vec<String> = sqlx::query_scalar("SELECT action FROM audit_log WHERE resource_type = 'llm_connection' AND action = 'llm_connection.delete'")
        .fetch_all(&api.pool)
        .await
        .unwrap();
    assert_eq!(actions.len(), 1);
}

#[tokio::test]
async fn the_stored_key_opens_for_the_provider_call_and_only_for_its_row() {
    let api = TestApi::new().await;
    assert_eq!(api.call("PUT", "/api/public/llm-connections", Some(connection())).await.status, StatusCode::CREATED);
    let secrets = common::test_secrets();
    let opened = loupe_core::store::llm_connections::credentials(&api.pool, &secrets, &api.project, "openai-prod").await.unwrap().unwrap();
    assert_eq!(opened.secret_key, SECRET);
    assert_eq!(opened.extra_headers, vec![("X-Team".to_string(), HEADER_VALUE.to_string())]);
    assert!(!format!("{opened:?}").contains(SECRET), "Debug never prints the key");

    // A sealed key copied into another connection's row does not open there.
    assert_eq!(api.call("PUT", "/api/public/llm-connections", Some(json!({"provider": "other", "adapter": "openai", "secretKey": "sk-other-0000"}))).await.status, StatusCode::CREATED);
    sqlx::query("UPDATE llm_connections SET secret_key = (SELECT secret_key FROM llm_connections WHERE provider = 'openai-prod') WHERE provider = 'other'")
        .execute(&api.pool)
        .await
        .unwrap();
    let error = loupe_core::store::llm_connections::credentials(&api.pool, &secrets, &api.project, "other").await.unwrap_err();
    assert!(error.to_string().contains("cannot be read"), "{error}");
    // Another LOUPE_SECRET opens nothing.
    let wrong = loupe_core::secrets::SecretBox::new("another secret", 1);
    assert!(loupe_core::store::llm_connections::credentials(&api.pool, &wrong, &api.project, "openai-prod").await.is_err());
}

#[tokio::test]
async fn bad_connections_are_refused_with_the_field_named() {
    let api = TestApi::new().await;
    let cases = [
        (json!({"adapter": "openai", "secretKey": "k"}), "provider"),
        (json!({"provider": "p", "adapter": "OpenAI", "secretKey": "k"}), "unknown adapter"),
        (json!({"provider": "p", "adapter": "openai"}), "secretKey"),
        (json!({"provider": "p", "adapter": "openai", "secretKey": "k", "baseURL": "file:///etc/passwd"}), "Invalid baseURL"),
        (json!({"provider": "p", "adapter": "azure", "secretKey": "k"}), "baseURL"),
        (json!({"provider": "p", "adapter": "bedrock", "secretKey": "k"}), "region"),
        (json!({"provider": "p", "adapter": "anthropic", "secretKey": "k", "config": {"useResponsesApi": true}}), "useResponsesApi"),
        (json!({"provider": "p", "adapter": "openai", "secretKey": "k", "extraHeaders": {"Authorization": "x"}}), "Authorization"),
        (json!({"provider": "p", "adapter": "openai", "secretKey": "k", "customModels": [1]}), "customModels"),
        (json!(["not", "an", "object"]), "object"),
    ];
    for (body, expected) in cases {
        let response = api.call("PUT", "/api/public/llm-connections", Some(body.clone())).await;
        assert_eq!(response.status, StatusCode::BAD_REQUEST, "{body}: {}", response.text());
        let message = response.json()["message"].as_str().unwrap_or_default().to_string();
        assert!(message.contains(expected), "{body}: {message}");
    }
    assert_eq!(api.call("GET", "/api/public/llm-connections", None).await.json()["meta"]["totalItems"], 0, "nothing stored");
    assert_eq!(api.call("GET", "/api/public/llm-connections?limit=0", None).await.status, StatusCode::BAD_REQUEST);
}

/// Rotating `LOUPE_SECRET`: each secret Loupe starts with gets a key version; a start with a new
/// secret alone leaves the old keys unreadable (and says so), a start with the old one as
/// `LOUPE_PREVIOUS_SECRET` reseals them all under the new one, in clear nowhere.
#[tokio::test]
async fn rotating_loupe_secret_reseals_every_key() {
    use loupe_core::secrets::{ring, SecretBox};
    use loupe_core::store::llm_connections::credentials;
    let api = TestApi::new().await;
    let old = "the first LOUPE_SECRET, long enough to use";
    let new = "the second LOUPE_SECRET, also long enough";
    let first = ring(&api.pool, old, None).await.unwrap();
    assert_eq!(first.version(), 1);
    assert_eq!(ring(&api.pool, old, None).await.unwrap().version(), 1, "the same secret keeps its version");
    let mut tx = api.pool.begin().await.unwrap();
    for (provider, key) in [("a", "sk-a-1111"), ("b", "sk-b-2222")] {
        let input = loupe_app::domain::llm_connections::ConnectionInput {
            provider: provider.into(),
            adapter: loupe_app::domain::llm_connections::Adapter::OpenAi,
            secret_key: key.into(),
            base_url: None,
            custom_models: vec![],
            with_default_models: true,
            extra_headers: vec![("X-K".into(), format!("header-{key}"))],
            config: None,
        };
        loupe_core::store::llm_connections::upsert(&mut tx, &first, &api.project, &input).await.unwrap();
    }
    tx.commit().await.unwrap();

    // A new secret without the old one: a new version, and the old keys do not open.
    let second = ring(&api.pool, new, None).await.unwrap();
    assert_eq!(second.version(), 2);
    assert!(credentials(&api.pool, &second, &api.project, "a").await.is_err());
    // A wrong previous secret is refused and changes nothing.
    assert!(ring(&api.pool, new, Some("never used by this instance")).await.is_err());
    // With the old one as the previous secret: every key resealed under version 2.
    let rotated = ring(&api.pool, new, Some(old)).await.unwrap();
    assert_eq!(rotated.version(), 2);
    for (provider, key) in [("a", "sk-a-1111"), ("b", "sk-b-2222")] {
        let opened = credentials(&api.pool, &rotated, &api.project, provider).await.unwrap().unwrap();
        assert_eq!(opened.secret_key, key);
        assert_eq!(opened.extra_headers, vec![("X-K".to_string(), format!("header-{key}"))]);
        assert!(credentials(&api.pool, &SecretBox::new(old, 1), &api.project, provider).await.is_err(), "the old key opens nothing any more");
    }
    let versions: Vec<i32> = sqlx::query_scalar("SELECT DISTINCT secret_version FROM llm_connections").fetch_all(&api.pool).await.unwrap();
    assert_eq!(versions, vec![2]);
    let dump = common::dump_database(&api.pool).await;
    assert!(!dump.contains("sk-a-1111") && !dump.contains("header-sk-b-2222"));
    assert!(!dump.contains(old) && !dump.contains(new), "the secrets themselves are not stored either");
}
