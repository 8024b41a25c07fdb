//! The evaluator pages' reads (`server_fns::evaluator_views`, #21) on a real Postgres: the form's
//! choices (built-in templates first, connection names and models, never a key), the list with
//! each evaluator's last run and the project's connection names, and one evaluator saying
//! whether its connection still exists. Isolation between projects is `teams.rs`'s table.

use crate::common;

use common::ui::Browser;
use common::{test_secrets, TestApi};
use serde_json::json;

const PASSWORD: &str = "correct horse battery";

async fn connection(api: &TestApi) -> String {
    let input = loupe_app::domain::llm_connections::ConnectionInput {
        provider: "judge".into(),
        adapter: loupe_app::domain::llm_connections::Adapter::OpenAi,
        secret_key: "sk-judge-views-4f2a".into(),
        base_url: Some("http://127.0.0.1:9/v1".into()),
        custom_models: vec!["judge-model".into()],
        with_default_models: false,
        extra_headers: vec![],
        config: None,
    };
    let mut tx = api.pool.begin().await.unwrap();
    let saved = loupe_core::store::llm_connections::upsert(&mut tx, &test_secrets(), &api.project, &input).await.unwrap();
    tx.commit().await.unwrap();
    saved.0.id
}

#[tokio::test]
async fn the_pages_read_choices_last_runs_and_missing_connections() {
    let api = TestApi::new().await;
    let mut member = Browser::member_of_proj_a(&api, "member@example.com", PASSWORD, "MEMBER").await;
    let mut viewer = Browser::member_of_proj_a(&api, "viewer@example.com", PASSWORD, "VIEWER").await;

    // Nothing yet: no evaluators, and no connection (the list says to add one first).
    let list = viewer.ok("evaluators_overview", &[("project_id", "proj-a")]).await;
    assert_eq!(list, json!({"evaluators": [], "connections": []}));

    let connection_id = connection(&api).await;
    let start = viewer.ok("evaluator_form_start", &[("project_id", "proj-a")]).await;
    let ids: Vec<&str> = start["templates"].as_array().unwrap().iter().map(|t| t["id"].as_str().unwrap()).collect();
    assert_eq!(ids.len(), 7, "the built-ins: {ids:?}");
    assert!(ids.iter().all(|id| id.starts_with("builtin:")));
    assert_eq!((start["connections"][0]["name"].clone(), start["connections"][0]["models"].clone()), (json!("judge"), json!(["judge-model"])));
    assert_eq!(start["connections"].as_array().unwrap().len(), 1);
    assert!(!start.to_string().contains("sk-judge-views"), "never a key: {start}");
    assert_eq!(start["datasets"], json!([]));

    let created = member
        .call_json(
            "create_evaluator",
            &json!({"project_id": "proj-a", "evaluator": {"name": "Relevance", "templateId": "builtin:relevance", "connection": "judge",
                "model": "judge-model", "target": {"kind": "trace"}, "filter": {}, "sampling": 1.0, "delayMs": 0,
                "mapping": [{"variable": "input", "source": "input"}, {"variable": "output", "source": "output"}]}}),
        )
        .await;
    assert_eq!(created.status, 200, "{}", created.text());
    let evaluator_id = created.json()["id"].as_str().unwrap().to_string();

    let list = viewer.ok("evaluators_overview", &[("project_id", "proj-a")]).await;
    assert_eq!(list["connections"], json!(["judge"]));
    assert_eq!(list["evaluators"][0]["summary"]["evaluator"]["id"], evaluator_id.as_str());
    assert_eq!(list["evaluators"][0]["last_run"], json!(null), "never run");

    // An execution: the list's last run is its time.
    sqlx::query(
        "INSERT INTO evaluation_executions (project_id, id, evaluator_id, target_key, status, trace_id, created_at)
         VALUES ('proj-a', 'x-1', $1, 't-1', 'completed', 't-1', '2026-12-09T10:00:00Z')",
    )
    .bind(&evaluator_id)
    .execute(&api.pool)
    .await
    .unwrap();
    let list = viewer.ok("evaluators_overview", &[("project_id", "proj-a")]).await;
    assert_eq!(list["evaluators"][0]["summary"]["counts"]["completed"], 1);
    let last_run = list["evaluators"][0]["last_run"].as_str().unwrap();
    assert_eq!(chrono::DateTime::parse_from_rfc3339(last_run).unwrap(), chrono::DateTime::parse_from_rfc3339("2026-12-09T10:00:00Z").unwrap());

    let page = viewer.ok("evaluator_overview", &[("project_id", "proj-a"), ("evaluator_id", &evaluator_id)]).await;
    assert_eq!((page["connection_exists"].clone(), page["counts"]["completed"].clone()), (json!(true), json!(1)));
    assert_eq!(page["backfill"], json!(null));

    // The connection deleted: the evaluator stays, and its page says the connection is gone.
    let mut tx = api.pool.begin().await.unwrap();
    loupe_core::store::llm_connections::delete(&mut tx, &api.project, &connection_id).await.unwrap().unwrap();
    tx.commit().await.unwrap();
    let page = viewer.ok("evaluator_overview", &[("project_id", "proj-a"), ("evaluator_id", &evaluator_id)]).await;
    assert_eq!(page["connection_exists"], json!(false));
    assert_eq!(viewer.ok("evaluators_overview", &[("project_id", "proj-a")]).await["connections"], json!([]));

    let missing = viewer.call("evaluator_overview", &[("project_id", "proj-a"), ("evaluator_id", "nope")]).await;
    assert_eq!(missing.status, 404, "{}", missing.text());
}
