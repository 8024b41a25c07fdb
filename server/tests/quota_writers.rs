//! The writers of units outside the public ingestion API against a refusing plan's quota (#22),
//! on a real Postgres with the fake provider (testkit/fake-llm): an evaluator's execution is
//! skipped before the judge is called, its error naming the plan, and evaluates again once the
//! plan allows; a backfill stops failed naming the plan and cannot be started; an experiment run
//! stops failed naming the plan and cannot be started; a playground run is refused (429) in the
//! person's language. Every check goes through `loupe_core::limits`.

use crate::common;

use std::time::{Duration, Instant};

use axum::body::Body;
use axum::http::Request;
use common::ui::Browser;
use common::{test_secrets, TestApi};
use loupe_app::domain::evaluators::{EvaluatorInput, EvaluatorTarget, MappingSource, VariableMapping};
use loupe_app::domain::trace_list::TraceListQuery;
use loupe_core::evaluation::{self, Engine, EvaluationOptions};
use loupe_core::jobs::{Runner, RunnerOptions};
use serde_json::{json, Value};

const PASSWORD: &str = "correct horse battery staple";

fn plan(id: &str, name: &str, units: &str) -> Value {
    json!({"id": id, "name": name, "included_units": units, "retention_days": "", "member_limit": "",
           "annotation_queue_limit": "", "over_quota": "refuse", "position": "5"})
}

/// Creates (or redefines) the plan and puts the test's organization on it.
async fn put_on_plan(admin: &mut Browser<'_>, id: &str, name: &str, units: &str, create: bool) {
    let saved = admin.call_json("save_plan", &json!({"plan": plan(id, name, units), "create": create})).await;
    assert_eq!(saved.status, 200, "{}", saved.text());
    admin.ok("assign_plan", &[("org_id", "org-of-proj-a"), ("plan_id", id)]).await;
}

fn trace(id: &str) -> Value {
    json!({"id": format!("event-{id}"), "type": "trace-create", "timestamp": "2026-12-09T10:00:00Z",
           "body": {"id": id, "name": "chat", "input": {"question": format!("What is {id}?")}, "output": format!("{id} is a test.")}})
}

async fn ingest(api: &TestApi, events: Vec<Value>) {
    let response = api.call("POST", "/api/public/ingestion", Some(json!({"batch": events}))).await;
    assert_eq!(response.status, 207, "{}", response.text());
}

async fn scalar(api: &TestApi, sql: &str) -> i64 {
    sqlx::query_scalar(sql).fetch_one(&api.pool).await.unwrap()
}

async fn wait_for(api: &TestApi, sql: &str, expected: i64) {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let value = scalar(api, sql).await;
        if value == expected {
            return;
        }
        assert!(Instant::now() < deadline, "{sql}: {value}, expected {expected}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn evaluator(api: &TestApi) -> String {
    let input = EvaluatorInput {
        name: "Relevance".into(),
        score_name: None,
        template_id: "builtin:relevance".into(),
        connection: "judge".into(),
        model: "gpt-4o-mini-instant".into(),
        target: EvaluatorTarget::Trace,
        filter: TraceListQuery::default(),
        sampling: 1.0,
        delay_ms: 0,
        mapping: [("input", MappingSource::Input), ("output", MappingSource::Output)]
            .into_iter()
            .map(|(v, s)| VariableMapping { variable: v.into(), source: s, json_path: None })
            .collect(),
    };
    common::create_evaluator(api, &input).await
}

fn evaluation_runner(api: &TestApi) -> Runner {
    let engine = Engine::new(api.pool.clone(), Some(test_secrets()), EvaluationOptions { scan_every: Duration::from_millis(150), ..EvaluationOptions::default() });
    let options = RunnerOptions { poll: Duration::from_millis(50), retry_base: Duration::from_millis(300), ..RunnerOptions::default() };
    Runner::start(api.pool.clone(), evaluation::kinds(&engine), options)
}

#[tokio::test]
async fn evaluations_past_a_refusing_quota_are_skipped_naming_the_plan_and_resume_when_it_allows() {
    let api = TestApi::new().await;
    let mut admin = Browser::member_of_proj_a(&api, "admin@example.com", PASSWORD, "OWNER").await;
    let (base, received) = loupe_fake_llm::start().await;
    common::judge_connection(&api, &test_secrets(), &base).await;
    let evaluator_id = evaluator(&api).await;
    // Two traces arrive on the default (unlimited) plan; then the organization is put on a plan
    // of 2 units that refuses: the quota is used up.
    ingest(&api, vec![trace("t-1"), trace("t-2")]).await;
    put_on_plan(&mut admin, "tiny", "Tiny", "2", true).await;

    // A backfill over the existing traces is refused to the person, naming the plan.
    let refused = admin.call("start_backfill", &[("project_id", "proj-a"), ("evaluator_id", &evaluator_id)]).await;
    assert_eq!(refused.status, 429, "{}", refused.text());
    assert!(refused.text().contains("Tiny"), "{}", refused.text());

    let runner = evaluation_runner(&api);
    wait_for(&api, "SELECT count(*) FROM evaluation_executions WHERE status = 'cancelled'", 2).await;
    let errors: Vec<Option<String>> = sqlx::query_scalar("SELECT error FROM evaluation_executions ORDER BY trace_id").fetch_all(&api.pool).await.unwrap();
    for error in &errors {
        let error = error.as_deref().unwrap_or_default();
        assert!(error.starts_with("Not evaluated.") && error.contains("plan \"Tiny\" (tiny) includes 2 units"), "{error}");
    }
    assert!(received.all().is_empty(), "the judge is not called past the quota");
    assert_eq!(scalar(&api, "SELECT count(*) FROM scores").await, 0);
    assert_eq!(scalar(&api, "SELECT coalesce(sum(traces + observations + scores), 0)::bigint FROM usage_counters").await, 2, "nothing written");
    // The evaluator's executions list shows them with the reason.
    let page = admin.ok("list_evaluator_executions", &[("project_id", "proj-a"), ("evaluator_id", &evaluator_id), ("page", "0")]).await;
    assert_eq!(page["counts"]["cancelled"], 2, "{page}");
    assert!(page.to_string().contains("Tiny"), "{page}");

    // A larger plan: new traces are evaluated again (judge trace, generation and score: 3 units).
    put_on_plan(&mut admin, "tiny", "Tiny", "100", false).await;
    ingest(&api, vec![trace("t-3")]).await;
    wait_for(&api, "SELECT count(*) FROM evaluation_executions WHERE status = 'completed'", 1).await;
    assert_eq!(received.all().len(), 1);
    assert_eq!(scalar(&api, "SELECT count(*) FROM scores WHERE source = 'EVAL' AND trace_id = 't-3'").await, 1);
    wait_for(&api, "SELECT coalesce(sum(traces + observations + scores), 0)::bigint FROM usage_counters", 6).await;

    // A backfill started while allowed stops, failed naming the plan, once the quota is used up
    // (lowered below the usage before its job runs).
    runner.stop().await;
    let backfill = admin.ok("start_backfill", &[("project_id", "proj-a"), ("evaluator_id", &evaluator_id)]).await;
    let backfill_id = backfill["id"].as_str().unwrap().to_string();
    put_on_plan(&mut admin, "tiny", "Tiny", "6", false).await;
    let runner = evaluation_runner(&api);
    wait_for(&api, &format!("SELECT count(*) FROM evaluation_backfills WHERE id = '{backfill_id}' AND state = 'failed'"), 1).await;
    let progress = admin.ok("get_backfill", &[("project_id", "proj-a"), ("backfill_id", &backfill_id)]).await;
    let error = progress["error"].as_str().unwrap_or_default();
    assert!(error.starts_with("Stopped.") && error.contains("\"Tiny\""), "{progress}");
    assert_eq!(received.all().len(), 1, "no judge call after the quota");
    runner.stop().await;
}

const KEY: &str = "sk-fake-QUOTA-SECRET-93b1";

#[tokio::test]
async fn experiment_runs_and_playground_runs_past_a_refusing_quota_are_refused_naming_the_plan() {
    let api = TestApi::new().await;
    let mut admin = Browser::member_of_proj_a(&api, "admin@example.com", PASSWORD, "OWNER").await;
    let (fake_url, fake) = loupe_fake_llm::start().await;
    let created = api
        .call("PUT", "/api/public/llm-connections", Some(json!({"provider": "fake-openai", "adapter": "openai", "secretKey": KEY, "baseURL": fake_url})))
        .await;
    assert_eq!(created.status, 201, "{}", created.text());
    let created = api.call("POST", "/api/public/v2/prompts", Some(json!({"name": "qa-prompt", "type": "text", "prompt": "Answer: {{question}}", "labels": ["production"]}))).await;
    assert!(created.status.is_success(), "{}", created.text());
    let mut conn = api.pool.acquire().await.unwrap();
    let (dataset, _) = loupe_core::store::datasets::upsert_dataset(&mut conn, &api.project, &loupe_core::store::datasets::DatasetUpsert { name: "qa", ..Default::default() })
        .await
        .unwrap();
    for k in 0..3 {
        let (id, input) = (format!("i{k}"), json!({"question": format!("q{k}")}));
        loupe_core::store::datasets::upsert_item(
            &mut conn,
            &api.project,
            &loupe_core::store::datasets::ItemUpsert { dataset_id: &dataset.id, id: Some(&id), input: Some(&input), ..Default::default() },
        )
        .await
        .unwrap();
    }
    drop(conn);
    let start = |name: &str| {
        json!({"project_id": "proj-a", "input": {
            "datasetId": dataset.id, "promptName": "qa-prompt", "prompt": {"kind": "label", "value": "production"},
            "connection": "fake-openai", "model": "gpt-4o-mini", "params": {"temperature": 0.0}, "runName": name, "description": null
        }})
    };
    // Started while the plan allows; the quota is used up before its job runs.
    let started = admin.call_json("start_experiment_run", &start("before")).await;
    assert_eq!(started.status, 200, "{}", started.text());
    let run_id = started.json()["id"].as_str().unwrap().to_string();
    ingest(&api, vec![trace("t-1")]).await;
    put_on_plan(&mut admin, "tiny", "Tiny", "1", true).await;

    // Starting another is refused to the person, naming the plan, as ingestion's 429 does.
    let refused = admin.call_json("start_experiment_run", &start("after")).await;
    assert_eq!(refused.status, 429, "{}", refused.text());
    assert!(refused.text().contains("Tiny"), "{}", refused.text());
    assert_eq!(scalar(&api, "SELECT count(*) FROM dataset_runs").await, 1, "the refused run was not created");

    let jobs = Runner::start(
        api.pool.clone(),
        vec![loupe_core::experiments::run_kind(&api.pool, Some(test_secrets()))],
        RunnerOptions { worker: "test".into(), poll: Duration::from_millis(20), retry_base: Duration::from_millis(10), stop_grace: Duration::from_millis(500) },
    );
    let deadline = Instant::now() + Duration::from_secs(20);
    let progress = loop {
        let progress = admin.ok("experiment_run_progress", &[("project_id", "proj-a"), ("run_id", &run_id)]).await;
        if progress["state"] != "running" {
            break progress;
        }
        assert!(Instant::now() < deadline, "the run did not stop: {progress}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    jobs.stop().await;
    assert_eq!((progress["state"].as_str(), progress["done"].as_i64()), (Some("failed"), Some(0)), "{progress}");
    let error = progress["error"].as_str().unwrap_or_default();
    assert!(error.starts_with("Stopped.") && error.contains("plan \"Tiny\" (tiny) includes 1 units"), "{progress}");
    assert!(fake.all().is_empty(), "no provider call past the quota");
    assert_eq!(scalar(&api, "SELECT count(*) FROM traces WHERE environment = 'experiment'").await, 0);

    // A playground run: 429 before the provider is called, in the person's language.
    let run = json!({"mode": "chat", "messages": [{"role": "user", "content": "hi"}], "variables": {},
                     "variant": {"connection": "fake-openai", "model": "gpt-4o-mini", "params": {}}});
    for (language, words) in [("en", "Tiny"), ("zh-CN", "套餐 Tiny")] {
        let request = Request::post("/api/playground/projects/proj-a/runs")
            .header("content-type", "application/json")
            .header("accept-language", language)
            .header("host", "loupe.test")
            .header("origin", "http://loupe.test")
            .header("cookie", admin.cookie.clone().unwrap())
            .body(Body::from(run.to_string()))
            .unwrap();
        let refused = admin.send(request).await;
        assert_eq!(refused.status, 429, "{}", refused.text());
        assert!(refused.text().contains(words), "{language}: {}", refused.text());
    }
    assert!(fake.all().is_empty(), "no provider call past the quota");
    assert_eq!(scalar(&api, "SELECT count(*) FROM traces WHERE environment = 'playground'").await, 0);

    // Once the plan allows, a playground run goes through (and is counted).
    put_on_plan(&mut admin, "tiny", "Tiny", "100", false).await;
    let request = Request::post("/api/playground/projects/proj-a/runs")
        .header("content-type", "application/json")
        .header("host", "loupe.test")
        .header("origin", "http://loupe.test")
        .header("cookie", admin.cookie.clone().unwrap())
        .body(Body::from(run.to_string()))
        .unwrap();
    assert_eq!(admin.send(request).await.status, 200);
}
