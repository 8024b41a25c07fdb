//! Experiments (#21) on a real Postgres: the runs table's summary numbers and the comparison with
//! its regression verdict, exactly, from seeded runs; runs started from the UI against the fake
//! provider (testkit/fake-llm) — completed with linked traces, a provider error on one item
//! recorded while the run finishes, a half-done run resumed without duplicates, a connection that
//! disappeared ending the run with a message naming it.

use crate::common;

use std::collections::BTreeMap;
use std::time::Duration;

use common::ui::Browser;
use common::TestApi;
use loupe_app::domain::experiment_stats::{compare, Direction, Verdict};
use loupe_app::domain::experiments::{Comparison, RunDetail, RunProgress, RunState, RunsPage};
use loupe_core::experiments::{Executor, Step};
use loupe_core::store::datasets::{self, DatasetUpsert, ItemUpsert, NewRun, NewRunItem};
use serde_json::{json, Value};

const PASSWORD: &str = "a long enough password";
const KEY: &str = "sk-fake-EXPERIMENT-SECRET-51c2";

/// A dataset `qa` with items `i0`… (input `{"question": "q<k>"}`, expected `"a<k>"`); its id.
async fn dataset_with_items(api: &TestApi, count: usize) -> String {
    let mut conn = api.pool.acquire().await.unwrap();
    let (dataset, _) = datasets::upsert_dataset(&mut conn, &api.project, &DatasetUpsert { name: "qa", ..Default::default() }).await.unwrap();
    for k in 0..count {
        let (id, input, expected) = (format!("i{k}"), json!({"question": format!("q{k}")}), json!(format!("a{k}")));
        datasets::upsert_item(
            &mut conn,
            &api.project,
            &ItemUpsert { dataset_id: &dataset.id, id: Some(&id), input: Some(&input), expected_output: Some(&expected), ..Default::default() },
        )
        .await
        .unwrap();
    }
    dataset.id
}

/// A run item of `run` for `item` whose trace took `latency` seconds, cost `cost`, had `errors`
/// errors, answered `output`, and was scored with `scores`.
#[allow(clippy::too_many_arguments)]
async fn seed_item(api: &TestApi, run_id: &str, item: &str, trace: &str, latency: f64, cost: f64, errors: i32, output: &str, scores: &[(&str, f64)]) {
    sqlx::query("INSERT INTO traces (project_id, id, timestamp, output) VALUES ($1, $2, now(), $3)")
        .bind(&api.project_id)
        .bind(trace)
        .bind(json!(output))
        .execute(&api.pool)
        .await
        .unwrap();
    sqlx::query(
        "INSERT INTO trace_metrics (project_id, trace_id, timestamp, observation_count, start_time, end_time, total_cost, error_count)
         VALUES ($1, $2, now(), 1, '2026-12-09T10:00:00Z', '2026-12-09T10:00:00Z'::timestamptz + make_interval(secs => $3), $4, $5)",
    )
    .bind(&api.project_id)
    .bind(trace)
    .bind(latency)
    .bind(cost)
    .bind(errors)
    .execute(&api.pool)
    .await
    .unwrap();
    for (name, value) in scores {
        sqlx::query("INSERT INTO scores (project_id, id, timestamp, name, value, data_type, source, trace_id) VALUES ($1, $2, now(), $3, $4, 'NUMERIC', 'API', $5)")
            .bind(&api.project_id)
            .bind(format!("{trace}-{name}"))
            .bind(name)
            .bind(value)
            .bind(trace)
            .execute(&api.pool)
            .await
            .unwrap();
    }
    let mut conn = api.pool.acquire().await.unwrap();
    datasets::link_run_item(
        &mut conn,
        &api.project,
        &NewRunItem { run_id, dataset_item_id: item, dataset_item_version: None, trace_id: trace, observation_id: None, created_at: None },
    )
    .await
    .unwrap();
}

async fn run(api: &TestApi, dataset_id: &str, name: &str) -> String {
    let mut conn = api.pool.acquire().await.unwrap();
    datasets::create_or_get_run(&mut conn, &api.project, &NewRun { dataset_id, name, description: None, metadata: None }).await.unwrap().id
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() < 1e-9
}

const ACC_A: [f64; 6] = [0.1, 0.2, 0.3, 0.4, 0.5, 0.6];
const ACC_GAIN: [f64; 6] = [0.3, 0.2, 0.4, 0.32, 0.25, 0.35];

#[tokio::test]
async fn run_summaries_and_the_comparison_are_exact() {
    let api = TestApi::new().await;
    let dataset_id = dataset_with_items(&api, 6).await;
    let (a, b) = (run(&api, &dataset_id, "baseline").await, run(&api, &dataset_id, "candidate").await);
    for k in 0..6 {
        let item = format!("i{k}");
        // A: latency 1..6 s, $0.01 each, no errors. B: half the latency, $0.02 each, an error on
        // i5; its accuracy higher by ACC_GAIN, its toxicity higher by 0.1.
        seed_item(&api, &a, &item, &format!("a-{k}"), (k + 1) as f64, 0.01, 0, &format!("a{k}"), &[("acc", ACC_A[k]), ("toxicity", 0.2)]).await;
        let b_acc = ACC_A[k] + ACC_GAIN[k];
        seed_item(&api, &b, &item, &format!("b-{k}"), (k + 1) as f64 * 0.5, 0.02, i32::from(k == 5), &format!("b{k} answer"), &[("acc", b_acc), ("toxicity", 0.3)]).await;
    }
    sqlx::query("INSERT INTO scores (project_id, id, timestamp, name, value, data_type, source, dataset_run_id) VALUES ($1, 'run-score', now(), 'overall', 0.35, 'NUMERIC', 'API', $2)")
        .bind(&api.project_id)
        .bind(&a)
        .execute(&api.pool)
        .await
        .unwrap();
    let mut viewer = Browser::member_of_proj_a(&api, "vera@example.com", PASSWORD, "VIEWER").await;

    let page: RunsPage = serde_json::from_value(viewer.ok("list_experiment_runs", &[("project_id", "proj-a"), ("dataset_id", &dataset_id)]).await).unwrap();
    assert_eq!((page.total, page.runs.len(), page.can_start, page.can_delete), (2, 2, false, false));
    let by_name = |name: &str| page.runs.iter().find(|r| r.run.name == name).unwrap().clone();
    let (sa, sb) = (by_name("baseline"), by_name("candidate"));
    assert_eq!((sa.item_count, sa.error_count, sb.item_count, sb.error_count), (6, 0, 6, 1));
    // percentile_cont: linear interpolation, p50 of 1..6 = 3.5, p95 = 1 + 0.95 × 5 = 5.75.
    assert!(close(sa.latency_p50.unwrap(), 3.5) && close(sa.latency_p95.unwrap(), 5.75), "{sa:?}");
    assert!(close(sb.latency_p50.unwrap(), 1.75) && close(sb.latency_p95.unwrap(), 2.875), "{sb:?}");
    assert!(close(sa.total_cost, 0.06) && close(sb.total_cost, 0.12));
    let average = |s: &loupe_app::domain::experiments::RunSummary, name: &str| {
        let agg = s.scores.iter().find(|x| x.name == name).unwrap();
        (agg.average.unwrap(), agg.count)
    };
    let (acc_a, n) = average(&sa, "acc");
    assert!(close(acc_a, 0.35) && n == 6);
    let (acc_b, _) = average(&sb, "acc");
    assert!(close(acc_b, 0.35 + ACC_GAIN.iter().sum::<f64>() / 6.0), "{acc_b}");
    assert!(close(average(&sb, "toxicity").0, 0.3));
    assert_eq!(sa.run_scores.len(), 1);
    assert_eq!((sa.run_scores[0].name.as_str(), sa.run_scores[0].value), ("overall", Some(0.35)));
    assert!(sb.run_scores.is_empty() && sa.progress.is_none());

    // The run page: items with their input, expected output, output and scores.
    let detail: RunDetail = serde_json::from_value(
        viewer.ok("get_experiment_run", &[("project_id", "proj-a"), ("dataset_id", &dataset_id), ("run_id", &b)]).await,
    )
    .unwrap();
    assert_eq!((detail.total, detail.rows.len(), detail.dataset_name.as_str()), (6, 6, "qa"));
    let row = detail.rows.iter().find(|r| r.dataset_item_id == "i5").unwrap();
    assert_eq!((row.input.clone(), row.expected_output.clone(), row.cell.output.clone()), (json!({"question": "q5"}), json!("a5"), json!("b5 answer")));
    assert!(row.cell.error && close(row.cell.latency.unwrap(), 3.0) && close(row.cell.cost.unwrap(), 0.02));
    assert_eq!(row.cell.scores.iter().map(|s| s.name.as_str()).collect::<Vec<_>>(), vec!["acc", "toxicity"]);

    // The comparison: lower is better for toxicity, sorted by the change in accuracy.
    let comparison: Comparison = serde_json::from_value(
        viewer
            .ok(
                "compare_experiment_runs",
                &[("project_id", "proj-a"), ("dataset_id", &dataset_id), ("runs", &format!("{a},{b}")), ("baseline", &a), ("lower", "toxicity"), ("sort", "acc")],
            )
            .await,
    )
    .unwrap();
    assert_eq!((comparison.baseline.as_str(), comparison.total_items, comparison.items.len()), (a.as_str(), 6, 6));
    let names: Vec<(&str, Direction)> = comparison.scores.iter().map(|s| (s.name.as_str(), s.direction)).collect();
    assert_eq!(names, vec![("acc", Direction::HigherIsBetter), ("toxicity", Direction::LowerIsBetter)]);
    // The verdicts are exactly the paired comparison of the seeded values.
    let values = |scores: &dyn Fn(usize) -> f64| -> BTreeMap<String, Vec<f64>> { (0..6).map(|k| (format!("i{k}"), vec![scores(k)])).collect() };
    let expected_acc = compare("acc", &values(&|k| ACC_A[k]), &values(&|k| ACC_A[k] + ACC_GAIN[k]), Direction::HigherIsBetter);
    let expected_tox = compare("toxicity", &values(&|_| 0.2), &values(&|_| 0.3), Direction::LowerIsBetter);
    assert_eq!(comparison.verdicts.len(), 1);
    assert_eq!(comparison.verdicts[0].run_id, b);
    // Exactly, up to the last bit a JSON round trip may move (serde_json parses floats to within
    // one unit in the last place).
    let same = |a: Option<f64>, b: Option<f64>| match (a, b) {
        (Some(a), Some(b)) => (a - b).abs() <= 1e-15 * a.abs().max(1.0),
        (a, b) => a == b,
    };
    assert_eq!(comparison.verdicts[0].comparisons.len(), 2);
    for (got, want) in comparison.verdicts[0].comparisons.iter().zip([&expected_acc, &expected_tox]) {
        assert_eq!((&got.score_name, got.shared_items, got.unpaired_items, got.direction, got.verdict), (&want.score_name, want.shared_items, want.unpaired_items, want.direction, want.verdict));
        let (gi, wi) = (got.interval.unwrap(), want.interval.unwrap());
        for (g, w) in [(got.baseline_mean, want.baseline_mean), (got.candidate_mean, want.candidate_mean), (got.mean_difference, want.mean_difference), (Some(gi.low), Some(wi.low)), (Some(gi.high), Some(wi.high))] {
            assert!(same(g, w), "{got:?} vs {want:?}");
        }
    }
    assert_eq!((expected_acc.verdict, expected_acc.shared_items), (Verdict::Better, 6));
    assert!(close(expected_acc.mean_difference.unwrap(), ACC_GAIN.iter().sum::<f64>() / 6.0));
    let ci = expected_acc.interval.unwrap();
    assert!(ci.low > 0.2 && ci.high < 0.4 && ci.low < ci.high, "{ci:?}");
    assert_eq!(expected_tox.verdict, Verdict::Worse);
    // Worst change in accuracy first: i1 (+0.2), i4 (+0.25), i0 (+0.3), i3 (+0.32), i5, i2.
    let order: Vec<&str> = comparison.items.iter().map(|i| i.dataset_item_id.as_str()).collect();
    assert_eq!(order, vec!["i1", "i4", "i0", "i3", "i5", "i2"]);
    let first = &comparison.items[0];
    assert_eq!((first.input.clone(), first.expected_output.clone()), (json!({"question": "q1"}), json!("a1")));
    let outputs: Vec<Value> = first.cells.iter().map(|c| c.as_ref().unwrap().output.clone()).collect();
    assert_eq!(outputs, vec![json!("a1"), json!("b1 answer")]);
    // The same toxicity change, higher-is-better by default: better.
    let default: Comparison = serde_json::from_value(
        viewer.ok("compare_experiment_runs", &[("project_id", "proj-a"), ("dataset_id", &dataset_id), ("runs", &format!("{b},{a}")), ("baseline", &a)]).await,
    )
    .unwrap();
    assert_eq!(default.verdicts[0].comparisons[1].verdict, Verdict::Better);
    assert_eq!(default.runs.iter().map(|r| r.run.id.clone()).collect::<Vec<_>>(), vec![b.clone(), a.clone()]);

    // One run, five runs, a run of no such dataset: refused, naming the field or the run.
    for runs in [a.clone(), format!("{a},{b},x,y,z")] {
        let refused = viewer.call("compare_experiment_runs", &[("project_id", "proj-a"), ("dataset_id", &dataset_id), ("runs", &runs)]).await;
        assert_eq!(refused.status, 400, "{}", refused.text());
        assert!(refused.text().contains("runs"), "{}", refused.text());
    }
    let missing = viewer.call("compare_experiment_runs", &[("project_id", "proj-a"), ("dataset_id", &dataset_id), ("runs", &format!("{a},nope"))]).await;
    assert_eq!(missing.status, 404, "{}", missing.text());
    // A Viewer deletes nothing; an Admin deletes a run with its items (the traces stay).
    let refused = viewer.call("delete_experiment_run", &[("project_id", "proj-a"), ("dataset_id", &dataset_id), ("run_id", &b)]).await;
    assert_eq!(refused.status, 403);
    let mut admin = Browser::member_of_proj_a(&api, "ada@example.com", PASSWORD, "ADMIN").await;
    admin.ok("delete_experiment_run", &[("project_id", "proj-a"), ("dataset_id", &dataset_id), ("run_id", &b)]).await;
    let left: i64 = sqlx::query_scalar("SELECT count(*) FROM dataset_run_items WHERE project_id = 'proj-a'").fetch_one(&api.pool).await.unwrap();
    let traces: i64 = sqlx::query_scalar("SELECT count(*) FROM traces WHERE project_id = 'proj-a'").fetch_one(&api.pool).await.unwrap();
    assert_eq!((left, traces), (6, 12));
}

/// A project with a connection to the fake provider, a text prompt and a dataset of `items`
/// items; a Member signed in.
struct Setup {
    api: TestApi,
    member: Browser<'static>,
    dataset_id: String,
    fake: loupe_fake_llm::Received,
}

async fn setup(items: usize, prompt: &str) -> Setup {
    // Leaked: the Browser borrows the API for the test's life.
    let api: &'static TestApi = Box::leak(Box::new(TestApi::new().await));
    let (fake_url, fake) = loupe_fake_llm::start().await;
    let created = api
        .call("PUT", "/api/public/llm-connections", Some(json!({"provider": "fake-openai", "adapter": "openai", "secretKey": KEY, "baseURL": fake_url})))
        .await;
    assert_eq!(created.status, 201, "{}", created.text());
    let created = api.call("POST", "/api/public/v2/prompts", Some(json!({"name": "qa-prompt", "type": "text", "prompt": prompt, "labels": ["production"]}))).await;
    assert!(created.status.is_success(), "{}", created.text());
    let dataset_id = dataset_with_items(api, items).await;
    let member = Browser::member_of_proj_a(api, "mia@example.com", PASSWORD, "MEMBER").await;
    Setup { api: TestApi::existing(api.pool.clone(), &api.public_key, &api.secret_key).await, member, dataset_id, fake }
}

fn start_body(dataset_id: &str, model: &str, name: &str) -> Value {
    json!({"project_id": "proj-a", "input": {
        "datasetId": dataset_id, "promptName": "qa-prompt", "prompt": {"kind": "label", "value": "production"},
        "connection": "fake-openai", "model": model, "params": {"temperature": 0.0}, "runName": name, "description": "from the test"
    }})
}

async fn start(s: &mut Setup, model: &str, name: &str) -> String {
    let started = s.member.call_json("start_experiment_run", &start_body(&s.dataset_id, model, name)).await;
    assert_eq!(started.status, 200, "{}", started.text());
    started.json()["id"].as_str().unwrap().to_string()
}

async fn progress(s: &mut Setup, run_id: &str) -> RunProgress {
    serde_json::from_value(s.member.ok("experiment_run_progress", &[("project_id", "proj-a"), ("run_id", run_id)]).await).unwrap()
}

/// (item, trace, version matches the item's, output, environment, prompt name, prompt version, level, status message)
type Linked = (String, String, bool, Option<Value>, String, Option<String>, Option<i32>, String, Option<String>);

async fn linked(api: &TestApi, run_id: &str) -> Vec<Linked> {
    sqlx::query_as(
        "SELECT ri.dataset_item_id, ri.trace_id,
                coalesce(ri.dataset_item_version = (SELECT i.valid_from FROM dataset_items i WHERE i.project_id = ri.project_id AND i.id = ri.dataset_item_id AND i.valid_to IS NULL), false),
                t.output, t.environment, o.prompt_name, o.prompt_version, o.level, o.status_message
         FROM dataset_run_items ri
         JOIN traces t ON t.project_id = ri.project_id AND t.id = ri.trace_id
         JOIN observations o ON o.project_id = ri.project_id AND o.trace_id = ri.trace_id AND o.type = 'GENERATION'
         WHERE ri.project_id = 'proj-a' AND ri.run_id = $1 ORDER BY ri.dataset_item_id",
    )
    .bind(run_id)
    .fetch_all(&api.pool)
    .await
    .unwrap()
}

fn runner(api: &TestApi) -> loupe_core::jobs::Runner {
    loupe_core::jobs::Runner::start(
        api.pool.clone(),
        vec![loupe_core::experiments::run_kind(&api.pool, Some(common::test_secrets()))],
        loupe_core::jobs::RunnerOptions { worker: "test".into(), poll: Duration::from_millis(20), retry_base: Duration::from_millis(10), stop_grace: Duration::from_millis(500) },
    )
}

async fn until_finished(s: &mut Setup, run_id: &str) -> RunProgress {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    loop {
        let now = progress(s, run_id).await;
        if !now.is_running() {
            return now;
        }
        assert!(tokio::time::Instant::now() < deadline, "the run did not finish: {now:?}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn a_run_started_from_the_ui_completes_with_linked_traces() {
    let mut s = setup(3, "Answer briefly: {{question}}").await;
    let run_id = start(&mut s, "gpt-4o-mini", "ui run").await;
    let started = progress(&mut s, &run_id).await;
    assert_eq!((started.state, started.total, started.prompt_name.as_str(), started.prompt_version), (RunState::Running, 3, "qa-prompt", 1));
    let jobs = runner(&s.api);
    let done = until_finished(&mut s, &run_id).await;
    jobs.stop().await;
    assert_eq!((done.state, done.total, done.done, done.failed, done.error), (RunState::Done, 3, 3, 0, None));
    let rows = linked(&s.api, &run_id).await;
    assert_eq!(rows.len(), 3);
    for (k, (item, trace, version_ok, output, environment, prompt_name, prompt_version, level, _)) in rows.iter().enumerate() {
        assert_eq!(item, &format!("i{k}"));
        assert_eq!(trace, &loupe_core::experiments::item_trace_id("proj-a", &run_id, item));
        assert!(version_ok, "the run item names the item version it ran");
        assert_eq!(output, &Some(json!(format!("Echo: Answer briefly: q{k}"))));
        assert_eq!((environment.as_str(), prompt_name.as_deref(), *prompt_version, level.as_str()), ("experiment", Some("qa-prompt"), Some(1), "DEFAULT"));
    }
    // What the provider was sent: the compiled prompt, the run's model and temperature.
    let sent: Vec<Value> = s.fake.all().into_iter().map(|r| r["body"].clone()).collect();
    assert_eq!(sent.len(), 3);
    assert!(sent.iter().all(|b| b["model"] == "gpt-4o-mini" && b["temperature"] == 0.0), "{sent:?}");
    // The runs table: a priced run of three items, nothing failed.
    let page: RunsPage = serde_json::from_value(s.member.ok("list_experiment_runs", &[("project_id", "proj-a"), ("dataset_id", &s.dataset_id)]).await).unwrap();
    let summary = &page.runs[0];
    assert_eq!((summary.run.name.as_str(), summary.item_count, summary.error_count), ("ui run", 3, 0));
    assert!(summary.total_cost > 0.0, "gpt-4o-mini has a price: {summary:?}");
    assert_eq!(summary.run.metadata["prompt"], json!({"name": "qa-prompt", "version": 1}));
    assert_eq!(summary.progress.as_ref().map(|p| p.state), Some(RunState::Done));

    // The same name again is refused, naming the field.
    let again = s.member.call_json("start_experiment_run", &start_body(&s.dataset_id, "gpt-4o-mini", "ui run")).await;
    assert_eq!(again.status, 400, "{}", again.text());
    assert!(again.text().contains("runName"), "{}", again.text());
    // A Viewer starts nothing.
    let mut viewer = Browser::member_of_proj_a(&s.api, "vic@example.com", PASSWORD, "VIEWER").await;
    let refused = viewer.call_json("start_experiment_run", &start_body(&s.dataset_id, "gpt-4o-mini", "viewer run")).await;
    assert_eq!(refused.status, 403);
    // Problems name their field.
    let mut body = start_body(&s.dataset_id, "", "no model");
    let missing_model = s.member.call_json("start_experiment_run", &body).await;
    assert!(missing_model.status == 400 && missing_model.text().contains("\"model\""), "{}", missing_model.text());
    body["input"]["model"] = json!("gpt-4o-mini");
    body["input"]["connection"] = json!("nope");
    let missing_connection = s.member.call_json("start_experiment_run", &body).await;
    assert!(missing_connection.status == 400 && missing_connection.text().contains("connection"), "{}", missing_connection.text());
}

#[tokio::test]
async fn a_provider_error_on_one_item_is_recorded_and_the_run_finishes() {
    let mut s = setup(3, "{{question}}").await;
    // The fake answers 500 to a message holding this marker: item i1 fails, the others answer.
    let mut conn = s.api.pool.acquire().await.unwrap();
    let input = json!({"question": "fake-fail:server-error"});
    datasets::upsert_item(&mut conn, &s.api.project, &ItemUpsert { dataset_id: &s.dataset_id, id: Some("i1"), input: Some(&input), ..Default::default() }).await.unwrap();
    drop(conn);
    let run_id = start(&mut s, "gpt-4o-mini", "one fails").await;
    let jobs = runner(&s.api);
    let done = until_finished(&mut s, &run_id).await;
    jobs.stop().await;
    assert_eq!((done.state, done.done, done.failed), (RunState::Done, 3, 1));
    let rows = linked(&s.api, &run_id).await;
    let failed = rows.iter().find(|r| r.0 == "i1").unwrap();
    assert_eq!((failed.3.clone().unwrap_or(Value::Null), failed.7.as_str()), (Value::Null, "ERROR"));
    let message = failed.8.clone().unwrap_or_default();
    assert!(message.contains("500") && message.contains("server had an error"), "{message}");
    assert_eq!(rows.iter().filter(|r| r.7 == "DEFAULT").count(), 2);
    // The run page shows the error with the item.
    let detail: RunDetail = serde_json::from_value(
        s.member.ok("get_experiment_run", &[("project_id", "proj-a"), ("dataset_id", &s.dataset_id), ("run_id", &run_id)]).await,
    )
    .unwrap();
    let row = detail.rows.iter().find(|r| r.dataset_item_id == "i1").unwrap();
    assert!(row.cell.error && row.cell.error_message.as_deref() == Some(message.as_str()));
    assert_eq!(detail.summary.error_count, 1);
}

#[tokio::test]
async fn a_half_done_run_resumes_without_duplicates() {
    let mut s = setup(3, "{{question}}").await;
    let run_id = start(&mut s, "gpt-4o-mini", "resumed").await;
    let executor = Executor::new(s.api.pool.clone(), Some(common::test_secrets()));
    assert_eq!(executor.step(&s.api.project, &run_id, 2).await.unwrap(), Step::Worked(2));
    let half = progress(&mut s, &run_id).await;
    assert_eq!((half.state, half.done, half.total), (RunState::Running, 2, 3));
    // A crash after an item's trace was stored but before its run item was linked.
    sqlx::query("DELETE FROM dataset_run_items WHERE project_id = 'proj-a' AND run_id = $1 AND dataset_item_id = 'i1'")
        .bind(&run_id)
        .execute(&s.api.pool)
        .await
        .unwrap();
    assert_eq!(executor.step(&s.api.project, &run_id, 16).await.unwrap(), Step::Worked(2));
    assert_eq!(executor.step(&s.api.project, &run_id, 16).await.unwrap(), Step::Finished);
    let done = progress(&mut s, &run_id).await;
    assert_eq!((done.state, done.done, done.failed), (RunState::Done, 3, 0));
    let run_items: i64 = sqlx::query_scalar("SELECT count(*) FROM dataset_run_items WHERE project_id = 'proj-a' AND run_id = $1")
        .bind(&run_id)
        .fetch_one(&s.api.pool)
        .await
        .unwrap();
    let traces: i64 = sqlx::query_scalar("SELECT count(*) FROM traces WHERE project_id = 'proj-a' AND environment = 'experiment'").fetch_one(&s.api.pool).await.unwrap();
    let generations: i64 = sqlx::query_scalar("SELECT count(*) FROM observations WHERE project_id = 'proj-a' AND type = 'GENERATION'").fetch_one(&s.api.pool).await.unwrap();
    assert_eq!((run_items, traces, generations), (3, 3, 3));
    // Item i1 ran twice into the same trace; the others once.
    assert_eq!(s.fake.all().len(), 4);
    assert!(common::trace_metrics_drift(&s.api.pool, "proj-a").await.is_empty());
}

#[tokio::test]
async fn a_connection_that_disappeared_stops_the_run_with_its_name() {
    let mut s = setup(2, "{{question}}").await;
    let run_id = start(&mut s, "gpt-4o-mini", "orphan").await;
    sqlx::query("DELETE FROM llm_connections WHERE project_id = 'proj-a'").execute(&s.api.pool).await.unwrap();
    let executor = Executor::new(s.api.pool.clone(), Some(common::test_secrets()));
    assert_eq!(executor.step(&s.api.project, &run_id, 16).await.unwrap(), Step::Finished);
    let stopped = progress(&mut s, &run_id).await;
    assert_eq!((stopped.state, stopped.done), (RunState::Failed, 0));
    let error = stopped.error.unwrap_or_default();
    assert!(error.starts_with("connection:") && error.contains("fake-openai"), "{error}");
    assert!(s.fake.all().is_empty(), "nothing was sent");
}
