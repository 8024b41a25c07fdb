//! LLM-as-judge evaluators (#21) end to end on a real Postgres, with the fake provider
//! (`testkit/fake-llm`) as the judge: scheduling, execution, retries, failures named, sampling,
//! filters, pause and resume, backfills, the loop guard, crash recovery, and two `loupe`
//! processes sharing 1,000 evaluations without a duplicate.
//!
//! In-process tests run the evaluation job kinds on their own `Runner` (fast poll and scan);
//! `two_loupe_processes_*` spawns the built binary twice on one database.

use crate::common;

use std::time::{Duration, Instant};

use common::ui::Browser;
use common::{test_secrets, TestApi};
use loupe_core::evaluation::{self, Engine, EvaluationOptions};
use loupe_core::jobs::{Runner, RunnerOptions};
use loupe_app::domain::evaluators::{builtin_template, EvaluatorInput, EvaluatorTarget, MappingSource, VariableMapping};
use loupe_app::domain::trace_list::TraceListQuery;
use serde_json::{json, Value};

const PASSWORD: &str = "correct horse battery";

fn options() -> EvaluationOptions {
    EvaluationOptions { scan_every: Duration::from_millis(150), ..EvaluationOptions::default() }
}

fn runner(api: &TestApi, options: EvaluationOptions) -> Runner {
    let engine = Engine::new(api.pool.clone(), Some(test_secrets()), options);
    let runner_options = RunnerOptions { poll: Duration::from_millis(50), retry_base: Duration::from_millis(300), ..RunnerOptions::default() };
    Runner::start(api.pool.clone(), evaluation::kinds(&engine), runner_options)
}

/// The fake provider and an LLM connection `judge` of proj-a pointing at it.
async fn judge(api: &TestApi) -> loupe_fake_llm::Received {
    let (base, received) = loupe_fake_llm::start().await;
    common::judge_connection(api, &test_secrets(), &base).await;
    received
}

fn mapping(pairs: &[(&str, MappingSource, Option<&str>)]) -> Vec<VariableMapping> {
    pairs.iter().map(|(v, s, p)| VariableMapping { variable: v.to_string(), source: *s, json_path: p.map(str::to_string) }).collect()
}

fn relevance(name: &str, model: &str) -> EvaluatorInput {
    EvaluatorInput {
        name: name.into(),
        score_name: None,
        template_id: "builtin:relevance".into(),
        connection: "judge".into(),
        model: model.into(),
        target: EvaluatorTarget::Trace,
        filter: TraceListQuery::default(),
        sampling: 1.0,
        delay_ms: 0,
        mapping: mapping(&[("input", MappingSource::Input, None), ("output", MappingSource::Output, None)]),
    }
}

/// Stores an evaluator as the server function would (checked against its template).
async fn create(api: &TestApi, input: &EvaluatorInput) -> String {
    common::create_evaluator(api, input).await
}

fn trace(id: &str, extra: Value) -> Value {
    let mut body = json!({"id": id, "name": "chat", "input": {"question": format!("What is {id}?")}, "output": format!("{id} is a test.")});
    if let (Some(body), Some(extra)) = (body.as_object_mut(), extra.as_object()) {
        for (k, v) in extra {
            body.insert(k.clone(), v.clone());
        }
    }
    json!({"id": format!("event-{id}"), "type": "trace-create", "timestamp": "2026-12-09T10:00:00Z", "body": body})
}

async fn ingest(api: &TestApi, events: Vec<Value>) {
    for chunk in events.chunks(500) {
        let response = api.call("POST", "/api/public/ingestion", Some(json!({"batch": chunk}))).await;
        assert_eq!(response.status, 207, "{}", response.text());
        assert_eq!(response.json()["errors"], json!([]), "{}", response.text());
    }
}

async fn scalar<T: for<'r> sqlx::Decode<'r, sqlx::Postgres> + sqlx::Type<sqlx::Postgres> + Send + Unpin>(api: &TestApi, sql: &str) -> T {
    sqlx::query_scalar(sql).fetch_one(&api.pool).await.unwrap()
}

/// Waits until `sql` (one bigint) reaches `expected`; panics with the last value after `limit`.
async fn wait_for(api: &TestApi, sql: &str, expected: i64, limit: Duration) {
    let deadline = Instant::now() + limit;
    loop {
        let value: i64 = scalar(api, sql).await;
        if value == expected {
            return;
        }
        if Instant::now() > deadline {
            let rows: Vec<(String, Option<String>)> =
                sqlx::query_as("SELECT status, error FROM evaluation_executions ORDER BY created_at LIMIT 5").fetch_all(&api.pool).await.unwrap();
            panic!("{sql}: {value}, expected {expected} within {limit:?}; executions: {rows:?}");
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn execution(api: &TestApi, trace_id: &str) -> Value {
    sqlx::query_scalar("SELECT to_jsonb(e) FROM evaluation_executions e WHERE trace_id = $1")
        .bind(trace_id)
        .fetch_one(&api.pool)
        .await
        .unwrap()
}

#[tokio::test]
async fn a_valid_answer_becomes_an_eval_score_with_the_judges_priced_trace() {
    let api = TestApi::new().await;
    let received = judge(&api).await;
    let mut alice = Browser::member_of_proj_a(&api, "alice@example.com", PASSWORD, "MEMBER").await;
    let runner = runner(&api, options());
    // Created through the server function, as the UI does.
    let mut input = relevance("Relevance", "gpt-4o");
    input.mapping = mapping(&[("input", MappingSource::Input, Some("$.question")), ("output", MappingSource::Output, None)]);
    let created = alice.call_json("create_evaluator", &json!({"project_id": "proj-a", "evaluator": input})).await;
    assert_eq!(created.status, 200, "{}", created.text());
    let evaluator_id = created.json()["id"].as_str().unwrap().to_string();
    assert_eq!(created.json()["prompt"], builtin_template("builtin:relevance").unwrap().prompt, "the template's prompt is kept with the evaluator");

    ingest(&api, vec![trace("t-1", json!({"environment": "production"}))]).await;
    wait_for(&api, "SELECT count(*) FROM evaluation_executions WHERE status = 'completed'", 1, Duration::from_secs(20)).await;

    let e = execution(&api, "t-1").await;
    let judge_trace = evaluation::judge_trace_id(e["id"].as_str().unwrap());
    assert_eq!(e["judge_trace_id"], judge_trace.as_str());
    assert_eq!(e["score_id"], evaluation::score_id(e["id"].as_str().unwrap(), "Relevance", 0).as_str());
    assert_eq!(e["id"], evaluation::execution_id(&evaluator_id, "t-1").as_str(), "the execution's id derives from evaluator and target");
    assert!(e["latency_ms"].as_i64().unwrap() >= 0);
    let score: (String, Option<f64>, String, Option<String>, Option<String>, String, String) = sqlx::query_as(
        "SELECT name, value, source, comment, execution_trace_id, environment, data_type FROM scores WHERE project_id = 'proj-a' AND trace_id = 't-1'",
    )
    .fetch_one(&api.pool)
    .await
    .unwrap();
    // The fake answers an instance of the schema: the middle of 0..1, reasoning "Paris".
    assert_eq!(score, ("Relevance".into(), Some(0.5), "EVAL".into(), Some("Paris".into()), Some(judge_trace.clone()), "production".into(), "NUMERIC".into()));

    // The judge's own trace: environment `evaluation`, its generation priced; the execution's
    // cost is that generation's.
    let (environment, name): (String, String) =
        sqlx::query_as("SELECT environment, name FROM traces WHERE project_id = 'proj-a' AND id = $1").bind(&judge_trace).fetch_one(&api.pool).await.unwrap();
    assert_eq!((environment.as_str(), name.as_str()), ("evaluation", "Execute evaluator: Relevance"));
    let cost: Option<f64> = sqlx::query_scalar("SELECT total_cost FROM observations WHERE project_id = 'proj-a' AND trace_id = $1")
        .bind(&judge_trace)
        .fetch_one(&api.pool)
        .await
        .unwrap();
    let cost = cost.expect("gpt-4o has a price in the default table");
    assert!(cost > 0.0);
    assert_eq!(e["cost"].as_f64(), Some(cost));

    // What the judge was sent: the compiled prompt as one user message, the schema as the format.
    let requests = received.all();
    assert_eq!(requests.len(), 1);
    let body = &requests[0]["body"];
    let content = body["messages"][0]["content"].as_str().unwrap();
    assert!(content.contains("Question:\nWhat is t-1?\n") && content.contains("Answer:\nt-1 is a test."), "{content}");
    assert_eq!(body["response_format"]["json_schema"]["schema"]["properties"]["score"]["maximum"], 1.0);

    // The executions list through the server function; the judge's trace is never evaluated.
    tokio::time::sleep(Duration::from_millis(600)).await;
    let page = alice.ok("list_evaluator_executions", &[("project_id", "proj-a"), ("evaluator_id", &evaluator_id), ("page", "0")]).await;
    assert_eq!(page["total"], 1, "{page}");
    assert_eq!(page["counts"]["completed"], 1);
    assert_eq!(page["executions"][0]["status"], "completed");
    assert_eq!(page["executions"][0]["judgeTraceId"], judge_trace.as_str());
    let completed = alice.ok("list_evaluator_executions", &[("project_id", "proj-a"), ("evaluator_id", &evaluator_id), ("status", "error"), ("page", "0")]).await;
    assert_eq!(completed["total"], 0);
    let detail = alice.ok("get_evaluator", &[("project_id", "proj-a"), ("evaluator_id", &evaluator_id)]).await;
    assert_eq!(detail["counts"]["completed"], 1);
    runner.stop().await;
}

#[tokio::test]
async fn an_answer_outside_the_schema_is_an_error_naming_it_and_writes_no_score() {
    let api = TestApi::new().await;
    judge(&api).await;
    let runner = runner(&api, options());
    create(&api, &relevance("Relevance", "judge-invalid")).await;
    ingest(&api, vec![trace("t-1", json!({}))]).await;
    wait_for(&api, "SELECT count(*) FROM evaluation_executions WHERE status = 'error'", 1, Duration::from_secs(20)).await;
    let e = execution(&api, "t-1").await;
    assert_eq!(e["error"], "the judge's \"score\" is a string, not a number");
    assert_eq!(scalar::<i64>(&api, "SELECT count(*) FROM scores").await, 0, "never a made-up score");
    // The answer is kept in the judge's trace, marked as an error, so it can be read.
    let (level, output): (String, String) = sqlx::query_as("SELECT level, output #>> '{}' FROM observations WHERE trace_id = $1")
        .bind(e["judge_trace_id"].as_str().unwrap())
        .fetch_one(&api.pool)
        .await
        .unwrap();
    assert_eq!(level, "ERROR");
    assert!(output.contains("excellent"), "{output}");
    runner.stop().await;
}

#[tokio::test]
async fn mappings_that_find_nothing_and_unmapped_variables_end_as_errors_naming_the_cause() {
    let api = TestApi::new().await;
    let received = judge(&api).await;
    let runner = runner(&api, options());
    let mut by_path = relevance("By path", "gpt-4o-mini");
    by_path.mapping = mapping(&[("input", MappingSource::Input, Some("$.nope")), ("output", MappingSource::Output, None)]);
    by_path.filter.name = "by-path".into();
    create(&api, &by_path).await;
    let mut empty = relevance("Empty output", "gpt-4o-mini");
    empty.filter.name = "no-output".into();
    create(&api, &empty).await;
    // A stored evaluator whose prompt needs a variable its mapping lacks (a template changed
    // under it by hand): refused at execution, not sent half-compiled.
    let mut unmapped = relevance("Unmapped", "gpt-4o-mini");
    unmapped.filter.name = "unmapped".into();
    let unmapped_id = create(&api, &unmapped).await;
    sqlx::query("UPDATE evaluators SET prompt = prompt || ' {{context}}' WHERE id = $1").bind(&unmapped_id).execute(&api.pool).await.unwrap();

    let mut events = vec![trace("t-path", json!({"name": "by-path"})), trace("t-unmapped", json!({"name": "unmapped"}))];
    events.push(json!({"id": "e-empty", "type": "trace-create", "timestamp": "2026-12-09T10:00:00Z", "body": {"id": "t-empty", "name": "no-output", "input": "hi"}}));
    ingest(&api, events).await;
    wait_for(&api, "SELECT count(*) FROM evaluation_executions WHERE status = 'error'", 3, Duration::from_secs(20)).await;
    assert_eq!(execution(&api, "t-path").await["error"], "variable \"input\": the JSON path $.nope matched nothing in the trace \"t-path\"'s input");
    assert_eq!(
        execution(&api, "t-empty").await["error"],
        "variable \"output\": the trace \"t-empty\"'s output is empty (it may not have arrived yet: consider a longer delay)"
    );
    assert_eq!(execution(&api, "t-unmapped").await["error"], "the template's variables context have no mapping");
    assert!(received.all().is_empty(), "the judge was never called");
    assert_eq!(scalar::<i64>(&api, "SELECT count(*) FROM scores").await, 0);

    // The server function refuses such evaluators up front, naming the field.
    let mut alice = Browser::member_of_proj_a(&api, "alice@example.com", PASSWORD, "MEMBER").await;
    let mut missing = relevance("Missing", "gpt-4o-mini");
    missing.mapping.pop();
    let refused = alice.call_json("create_evaluator", &json!({"project_id": "proj-a", "evaluator": missing})).await;
    assert_eq!(refused.status, 400);
    assert_eq!(refused.json()["Invalid"]["field"], "mapping", "{}", refused.text());
    let mut bad_path = relevance("Bad path", "gpt-4o-mini");
    bad_path.mapping[1].json_path = Some("$[?".into());
    let refused = alice.call_json("create_evaluator", &json!({"project_id": "proj-a", "evaluator": bad_path})).await;
    assert_eq!(refused.json()["Invalid"]["field"], "mapping[1].jsonPath", "{}", refused.text());
    let mut no_connection = relevance("No connection", "gpt-4o-mini");
    no_connection.connection = "nope".into();
    let refused = alice.call_json("create_evaluator", &json!({"project_id": "proj-a", "evaluator": no_connection})).await;
    assert_eq!(refused.json()["Invalid"]["field"], "connection", "{}", refused.text());
    let viewer = Browser::member_of_proj_a(&api, "viewer@example.com", PASSWORD, "VIEWER").await;
    let mut viewer = viewer;
    let forbidden = viewer.call_json("create_evaluator", &json!({"project_id": "proj-a", "evaluator": relevance("V", "gpt-4o-mini")})).await;
    assert_eq!(forbidden.status, 403);
    runner.stop().await;
}

#[tokio::test]
async fn a_rate_limit_is_retried_after_the_providers_hint_then_completes() {
    let api = TestApi::new().await;
    let received = judge(&api).await;
    let runner = runner(&api, options());
    create(&api, &relevance("Relevance", "gpt-4o-mini-throttle-once")).await;
    ingest(&api, vec![trace("t-1", json!({}))]).await;
    // First the 429: delayed, with the provider's words, due at its hint.
    wait_for(&api, "SELECT count(*) FROM evaluation_executions WHERE status = 'delayed'", 1, Duration::from_secs(20)).await;
    let delayed = execution(&api, "t-1").await;
    assert!(delayed["error"].as_str().unwrap().starts_with("rate limited by the provider (retry after 1 s)"), "{delayed}");
    wait_for(&api, "SELECT count(*) FROM evaluation_executions WHERE status = 'completed'", 1, Duration::from_secs(20)).await;
    let e = execution(&api, "t-1").await;
    assert_eq!(e["attempts"], 2);
    assert_eq!(e["error"], Value::Null);
    let waited: f64 = scalar(&api, "SELECT extract(epoch FROM finished_at - started_at)::float8 FROM evaluation_executions").await;
    assert!(waited >= 1.0, "retried after the 1 s hint, not before ({waited} s)");
    assert_eq!(received.all().len(), 2);
    assert_eq!(scalar::<i64>(&api, "SELECT count(*) FROM scores WHERE source = 'EVAL'").await, 1);
    runner.stop().await;
}

#[tokio::test]
async fn a_slow_judge_is_waited_for_and_its_latency_recorded() {
    let api = TestApi::new().await;
    judge(&api).await;
    let runner = runner(&api, options());
    create(&api, &relevance("Relevance", "gpt-4o-mini-delay-500ms")).await;
    ingest(&api, vec![trace("t-1", json!({}))]).await;
    wait_for(&api, "SELECT count(*) FROM evaluation_executions WHERE status = 'completed'", 1, Duration::from_secs(20)).await;
    let latency = execution(&api, "t-1").await["latency_ms"].as_i64().unwrap();
    assert!((500..5_000).contains(&latency), "{latency} ms");
    runner.stop().await;
}

#[tokio::test]
async fn sampling_picks_the_same_targets_as_langfuses_hash_and_filters_are_respected() {
    let api = TestApi::new().await;
    judge(&api).await;
    let runner = runner(&api, options());
    let mut sampled = relevance("Half", "gpt-4o-mini-instant");
    sampled.sampling = 0.5;
    sampled.filter.tag = "sampled".into();
    create(&api, &sampled).await;
    // Observations: generations named "answer" only.
    let mut observations = relevance("Answers", "gpt-4o-mini-instant");
    observations.target = EvaluatorTarget::Observation { types: vec![loupe_app::domain::ObservationType::Generation], name: Some("answer".into()) };
    observations.filter.name = "obs".into();
    create(&api, &observations).await;

    let ids: Vec<String> = (0..120).map(|i| format!("trace-{i}")).chain(["トレース-ü".to_string()]).collect();
    let mut events: Vec<Value> = ids.iter().map(|id| trace(id, json!({"tags": ["sampled"]}))).collect();
    events.extend((0..20).map(|i| trace(&format!("untagged-{i}"), json!({}))));
    events.push(trace("t-obs", json!({"name": "obs"})));
    for (id, kind, name) in [("o-1", "generation-create", "answer"), ("o-2", "generation-create", "other"), ("o-3", "span-create", "answer")] {
        events.push(json!({"id": format!("e-{id}"), "type": kind, "timestamp": "2026-12-09T10:00:00Z",
            "body": {"id": id, "traceId": "t-obs", "name": name, "input": "q", "output": "a", "startTime": "2026-12-09T10:00:00Z"}}));
    }
    ingest(&api, events).await;
    let expected: Vec<String> = ids.iter().filter(|id| evaluation::sampled(id, 0.5)).cloned().collect();
    assert!((40..=80).contains(&expected.len()), "{}", expected.len());
    let sql = "SELECT count(*) FROM evaluation_executions e JOIN evaluators v ON v.id = e.evaluator_id WHERE v.name = 'Half' AND e.status = 'completed'";
    wait_for(&api, sql, expected.len() as i64, Duration::from_secs(60)).await;
    let mut evaluated: Vec<String> = sqlx::query_scalar("SELECT e.trace_id FROM evaluation_executions e JOIN evaluators v ON v.id = e.evaluator_id WHERE v.name = 'Half'")
        .fetch_all(&api.pool)
        .await
        .unwrap();
    evaluated.sort();
    let mut expected = expected;
    expected.sort();
    assert_eq!(evaluated, expected, "the SQL sample is the hash's sample, untagged traces are left out");
    let sql = "SELECT count(*) FROM evaluation_executions e JOIN evaluators v ON v.id = e.evaluator_id WHERE v.name = 'Answers' AND e.status = 'completed'";
    wait_for(&api, sql, 1, Duration::from_secs(20)).await;
    let observation: (String, String) = sqlx::query_as("SELECT observation_id, trace_id FROM scores WHERE name = 'Answers'").fetch_one(&api.pool).await.unwrap();
    assert_eq!(observation, ("o-1".to_string(), "t-obs".to_string()), "only the generation named answer");
    runner.stop().await;
}

#[tokio::test]
async fn the_judges_own_traces_and_langfuse_environments_are_never_evaluated() {
    let api = TestApi::new().await;
    judge(&api).await;
    let runner = runner(&api, options());
    create(&api, &relevance("Relevance", "gpt-4o-mini-instant")).await;
    ingest(
        &api,
        vec![
            trace("t-user", json!({"environment": "production"})),
            trace("t-eval", json!({"environment": "evaluation"})),
        ],
    )
    .await;
    // `langfuse…` environments are reserved: public ingestion strips the prefix, so such traces
    // come only from Loupe itself (written here as the playground writes its runs).
    let mut internal = loupe_core::ingest::model::TracePatch::new("t-internal");
    internal.timestamp = Some(chrono::Utc::now());
    internal.input = Some(json!("q"));
    internal.output = Some(json!("a"));
    internal.environment = Some("langfuse-prompt-experiment".into());
    let batch = loupe_core::ingest::model::IngestBatch { traces: vec![internal], ..Default::default() };
    loupe_core::ingest::store(&api.pool, &loupe_core::pricing::Pricing::new(api.pool.clone()), &api.project, batch).await.unwrap();
    wait_for(&api, "SELECT count(*) FROM evaluation_executions WHERE status = 'completed'", 1, Duration::from_secs(20)).await;
    // A few more scans: the judge's trace (environment evaluation) stays unevaluated too.
    tokio::time::sleep(Duration::from_millis(800)).await;
    let targets: Vec<String> = sqlx::query_scalar("SELECT trace_id FROM evaluation_executions").fetch_all(&api.pool).await.unwrap();
    assert_eq!(targets, vec!["t-user".to_string()]);
    assert_eq!(scalar::<i64>(&api, "SELECT count(*) FROM traces WHERE environment = 'evaluation'").await, 2, "t-eval and the judge's trace");
    runner.stop().await;
}

#[tokio::test]
async fn pausing_stops_new_executions_and_resuming_continues_where_it_stopped() {
    let api = TestApi::new().await;
    judge(&api).await;
    let mut alice = Browser::member_of_proj_a(&api, "alice@example.com", PASSWORD, "MEMBER").await;
    let runner = runner(&api, options());
    let id = create(&api, &relevance("Relevance", "gpt-4o-mini-instant")).await;
    ingest(&api, vec![trace("before", json!({}))]).await;
    wait_for(&api, "SELECT count(*) FROM evaluation_executions WHERE status = 'completed'", 1, Duration::from_secs(20)).await;

    let paused = alice.ok("pause_evaluator", &[("project_id", "proj-a"), ("evaluator_id", &id)]).await;
    assert_eq!(paused["status"], "paused");
    ingest(&api, (0..5).map(|i| trace(&format!("during-{i}"), json!({}))).collect()).await;
    tokio::time::sleep(Duration::from_millis(1_200)).await;
    assert_eq!(scalar::<i64>(&api, "SELECT count(*) FROM evaluation_executions").await, 1, "no new executions while paused");

    let resumed = alice.ok("resume_evaluator", &[("project_id", "proj-a"), ("evaluator_id", &id)]).await;
    assert_eq!(resumed["status"], "active");
    wait_for(&api, "SELECT count(*) FROM evaluation_executions WHERE status = 'completed'", 6, Duration::from_secs(20)).await;
    assert_eq!(scalar::<i64>(&api, "SELECT count(*) FROM scores WHERE source = 'EVAL'").await, 6);
    let audited: i64 = scalar(&api, "SELECT count(*) FROM audit_log WHERE action IN ('evaluator.pause', 'evaluator.resume')").await;
    assert_eq!(audited, 2);
    runner.stop().await;
}

#[tokio::test]
async fn a_backfill_counts_existing_traces_then_evaluates_each_once() {
    let api = TestApi::new().await;
    judge(&api).await;
    let mut alice = Browser::member_of_proj_a(&api, "alice@example.com", PASSWORD, "MEMBER").await;
    let tags = |i: usize| if i < 24 { vec!["keep"] } else { vec![] };
    ingest(&api, (0..30).map(|i| trace(&format!("old-{i}"), json!({"tags": tags(i)}))).collect()).await;
    let mut input = relevance("Relevance", "gpt-4o-mini-instant");
    input.filter.tag = "keep".into();
    let id = create(&api, &input).await;
    let runner = runner(&api, options());
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(scalar::<i64>(&api, "SELECT count(*) FROM evaluation_executions").await, 0, "existing traces wait for a backfill");

    let count = alice.ok("count_backfill", &[("project_id", "proj-a"), ("evaluator_id", &id)]).await;
    assert_eq!(count, json!({"matching": 24, "sampled": 24}));
    // The preview: the latest matching trace, each variable's value, the compiled prompt.
    let preview = alice.call_json("preview_evaluator", &json!({"project_id": "proj-a", "evaluator": input, "trace_id": "old-3"})).await;
    assert_eq!(preview.status, 200, "{}", preview.text());
    let preview = preview.json();
    assert_eq!(preview["traceId"], "old-3");
    assert_eq!(preview["variables"][1]["value"], "old-3 is a test.");
    assert!(preview["prompt"].as_str().unwrap().contains("Answer:\nold-3 is a test."));

    let backfill = alice.ok("start_backfill", &[("project_id", "proj-a"), ("evaluator_id", &id)]).await;
    assert_eq!(backfill["total"], 24);
    let backfill_id = backfill["id"].as_str().unwrap().to_string();
    wait_for(&api, "SELECT count(*) FROM evaluation_executions WHERE status = 'completed'", 24, Duration::from_secs(30)).await;
    let progress = alice.ok("get_backfill", &[("project_id", "proj-a"), ("backfill_id", &backfill_id)]).await;
    assert_eq!((progress["state"].as_str(), progress["scheduled"].as_i64(), progress["counts"]["completed"].as_i64()), (Some("done"), Some(24), Some(24)), "{progress}");
    // Once done, another backfill finds every target evaluated already.
    let again = alice.ok("start_backfill", &[("project_id", "proj-a"), ("evaluator_id", &id)]).await;
    wait_for(&api, &format!("SELECT count(*) FROM evaluation_backfills WHERE id = '{}' AND state = 'done'", again["id"].as_str().unwrap()), 1, Duration::from_secs(10)).await;
    assert_eq!(scalar::<i64>(&api, "SELECT count(*) FROM scores WHERE source = 'EVAL'").await, 24, "each target once");
    runner.stop().await;
}

#[tokio::test]
async fn a_run_killed_mid_call_resumes_elsewhere_without_a_second_score() {
    let api = TestApi::new().await;
    let received = judge(&api).await;
    let short_lease = EvaluationOptions { lease: Duration::from_secs(2), ..options() };
    let first = runner(&api, short_lease.clone());
    create(&api, &relevance("Relevance", "gpt-4o-mini-delay-1500ms")).await;
    ingest(&api, vec![trace("t-1", json!({}))]).await;
    wait_for(&api, "SELECT count(*) FROM evaluation_executions WHERE status = 'running'", 1, Duration::from_secs(20)).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    first.abort(); // as if the process died mid-call: nothing handed back, the lease just ends
    let second = runner(&api, short_lease);
    wait_for(&api, "SELECT count(*) FROM evaluation_executions WHERE status = 'completed'", 1, Duration::from_secs(30)).await;
    let e = execution(&api, "t-1").await;
    assert_eq!(e["attempts"], 2, "{e}");
    assert_eq!(scalar::<i64>(&api, "SELECT count(*) FROM scores").await, 1);

    // The job delivered again after its work committed: nothing happens.
    let calls = received.all().len();
    sqlx::query("UPDATE jobs SET state = 'queued', run_at = now(), finished_at = NULL WHERE kind = 'evaluation.execute'").execute(&api.pool).await.unwrap();
    wait_for(&api, "SELECT count(*) FROM jobs WHERE kind = 'evaluation.execute' AND state = 'succeeded'", 1, Duration::from_secs(10)).await;
    assert_eq!(received.all().len(), calls, "a finished execution is not sent again");
    // Run again on purpose (reopened): the same ids, so the same score is rewritten.
    sqlx::query("UPDATE evaluation_executions SET status = 'pending'").execute(&api.pool).await.unwrap();
    sqlx::query("UPDATE jobs SET state = 'queued', run_at = now(), finished_at = NULL, attempts = 0 WHERE kind = 'evaluation.execute'").execute(&api.pool).await.unwrap();
    wait_for(&api, "SELECT count(*) FROM evaluation_executions WHERE status = 'completed'", 1, Duration::from_secs(20)).await;
    wait_for(&api, "SELECT count(*) FROM jobs WHERE kind = 'evaluation.execute' AND state = 'succeeded'", 1, Duration::from_secs(20)).await;
    assert_eq!(scalar::<i64>(&api, "SELECT count(*) FROM scores").await, 1, "a re-run is idempotent");
    assert_eq!(scalar::<i64>(&api, "SELECT count(*) FROM traces WHERE environment = 'evaluation'").await, 1);
    second.stop().await;
}

/// Two `loupe` processes on one database, each with its job runner: 1,000 traces evaluated,
/// exactly 1,000 scores, and both processes did part of the work.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_loupe_processes_evaluate_1000_traces_into_exactly_1000_scores() {
    use common::process::{loupe_on, Running};
    let pool = common::fresh_database().await;
    let secret = "the evaluator test's shared LOUPE_SECRET, 32+ chars";
    let data = [common::traversable_temp_dir(), common::traversable_temp_dir()];
    let start = |dir: &tempfile::TempDir| {
        let mut command = loupe_on(&pool, "eval");
        command.env("LOUPE_SECRET", secret).arg("--data-dir").arg(dir.path());
        Running::start(&mut command)
    };
    let a = start(&data[0]);
    let b = start(&data[1]);
    let api = TestApi::existing(pool.clone(), "pk-lf-eval", "sk-lf-eval").await;
    // The connection sealed under the key both processes derive from the shared secret.
    let secrets = loupe_core::secrets::ring(&pool, secret, None).await.unwrap();
    let (base, _received) = loupe_fake_llm::start().await;
    common::judge_connection(&api, &secrets, &base).await;
    create(&api, &relevance("Relevance", "gpt-4o-mini-instant")).await;
    ingest(&api, (0..1000).map(|i| trace(&format!("t-{i:04}"), json!({}))).collect()).await;
    wait_for(&api, "SELECT count(*) FROM evaluation_executions WHERE status = 'completed'", 1000, Duration::from_secs(300)).await;
    assert_eq!(scalar::<i64>(&api, "SELECT count(*) FROM scores WHERE source = 'EVAL'").await, 1000);
    assert_eq!(scalar::<i64>(&api, "SELECT count(DISTINCT trace_id) FROM scores WHERE source = 'EVAL'").await, 1000);
    assert_eq!(scalar::<i64>(&api, "SELECT count(*) FROM evaluation_executions").await, 1000);
    assert_eq!(scalar::<i64>(&api, "SELECT count(*) FROM evaluation_executions WHERE attempts <> 1").await, 0, "no execution ran twice");
    let workers: i64 = scalar(&api, "SELECT count(DISTINCT worker) FROM jobs WHERE kind = 'evaluation.execute' AND state = 'succeeded'").await;
    assert_eq!(workers, 2, "both processes evaluated");
    drop(a);
    drop(b);
}

#[tokio::test]
async fn dataset_run_items_are_judged_against_their_items_expected_output() {
    let api = TestApi::new().await;
    let received = judge(&api).await;
    let runner = runner(&api, options());
    let input = EvaluatorInput {
        template_id: "builtin:correctness".into(),
        target: EvaluatorTarget::DatasetRun { dataset_id: None },
        mapping: mapping(&[
            ("input", MappingSource::Input, Some("$.question")),
            ("output", MappingSource::Output, None),
            ("expected_output", MappingSource::ExpectedOutput, None),
        ]),
        ..relevance("Correctness", "gpt-4o-mini-instant")
    };
    create(&api, &input).await;
    assert_eq!(api.call("POST", "/api/public/v2/datasets", Some(json!({"name": "capitals"}))).await.status, 200);
    let item = api.call("POST", "/api/public/dataset-items", Some(json!({"datasetName": "capitals", "id": "item-1", "input": "France?", "expectedOutput": "Paris"}))).await;
    assert_eq!(item.status, 200, "{}", item.text());
    ingest(&api, vec![trace("run-trace", json!({}))]).await;
    let run_item = api.call("POST", "/api/public/dataset-run-items", Some(json!({"runName": "run 1", "datasetItemId": "item-1", "traceId": "run-trace"}))).await;
    assert_eq!(run_item.status, 200, "{}", run_item.text());
    let sql = "SELECT count(*) FROM evaluation_executions WHERE status = 'completed' AND dataset_item_id = 'item-1' AND dataset_run_item_id IS NOT NULL";
    wait_for(&api, sql, 1, Duration::from_secs(20)).await;
    // The run's trace was new as well, but this evaluator targets run items only.
    assert_eq!(scalar::<i64>(&api, "SELECT count(*) FROM evaluation_executions").await, 1);
    let prompt = received.all()[0]["body"]["messages"][0]["content"].as_str().unwrap().to_string();
    assert!(prompt.contains("Answer to check:\nrun-trace is a test.") && prompt.contains("Reference answer:\nParis"), "{prompt}");
    let score: (String, Option<f64>) = sqlx::query_as("SELECT trace_id, value FROM scores WHERE source = 'EVAL'").fetch_one(&api.pool).await.unwrap();
    assert_eq!(score, ("run-trace".to_string(), Some(0.5)));
    runner.stop().await;
}
