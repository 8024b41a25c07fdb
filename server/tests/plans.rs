//! Plans, metering and limits (#22) against a real Postgres: the hourly counters equal the rows
//! ever created after mixed ingestion (OTLP, batch, scores, updates, a retried request, deletes);
//! quota refusal (429 naming the plan) and recovery after a plan change; warn-only plans; member
//! and annotation-queue limits naming the plan; plan definitions refused naming the field; and
//! nobody but an instance administrator reads or changes plans.

use crate::common;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use common::ui::Browser;
use common::{TestApi, TestResponse};
use serde_json::{json, Value};

const PASSWORD: &str = "correct horse battery staple";

fn event(id: &str, r#type: &str, body: Value) -> Value {
    json!({"id": id, "type": r#type, "timestamp": "2026-12-01T10:00:00Z", "body": body})
}

async fn batch(api: &TestApi, events: Vec<Value>) -> TestResponse {
    api.call("POST", "/api/public/ingestion", Some(json!({"batch": events}))).await
}

async fn otlp(api: &TestApi, trace_id: &str, span_ids: &[&str]) -> TestResponse {
    let spans: Vec<Value> = span_ids
        .iter()
        .map(|id| {
            json!({"traceId": trace_id, "spanId": id, "name": format!("span-{id}"),
                   "startTimeUnixNano": "1795715850280000000", "endTimeUnixNano": "1795715850295000000", "attributes": []})
        })
        .collect();
    let body = json!({"resourceSpans": [{"scopeSpans": [{"scope": {"name": "plans-test"}, "spans": spans}]}]});
    let request = Request::post("/api/public/otel/v1/traces")
        .header("authorization", api.basic_auth())
        .header("content-type", "application/json")
        .body(Body::from(body.to_string()))
        .unwrap();
    api.send(request).await
}

async fn scores(api: &TestApi, scores: Value) -> TestResponse {
    api.call("POST", "/api/public/scores", Some(scores)).await
}

/// (traces, observations, scores) as counted in `usage_counters` for the test's organization.
async fn counted(api: &TestApi) -> (i64, i64, i64) {
    sqlx::query_as(
        "SELECT coalesce(sum(traces), 0)::bigint, coalesce(sum(observations), 0)::bigint, coalesce(sum(scores), 0)::bigint
         FROM usage_counters WHERE org_id = 'org-of-proj-a'",
    )
    .fetch_one(&api.pool)
    .await
    .unwrap()
}

/// (traces, observations, scores) rows stored in the project now.
async fn stored(api: &TestApi) -> (i64, i64, i64) {
    sqlx::query_as(
        "SELECT (SELECT count(*) FROM traces WHERE project_id = $1), (SELECT count(*) FROM observations WHERE project_id = $1),
                (SELECT count(*) FROM scores WHERE project_id = $1)",
    )
    .bind(&api.project_id)
    .fetch_one(&api.pool)
    .await
    .unwrap()
}

#[tokio::test]
async fn counters_equal_the_rows_created_after_mixed_ingestion_updates_retries_and_deletes() {
    let api = TestApi::new().await;
    // OTLP: one trace with three spans → 1 trace + 3 observations.
    let response = otlp(&api, "0af7651916cd43dd8448eb211c80319c", &["b7ad6b7169203331", "b7ad6b7169203332", "b7ad6b7169203333"]).await;
    assert_eq!(response.status, 200, "{}", response.text());
    assert_eq!(counted(&api).await, (1, 3, 0));

    // Batch: a trace, a span and its update (not a new unit), a generation, an update of the
    // OTLP trace (not a new unit) and a score.
    let events = vec![
        event("e1", "trace-create", json!({"id": "t-batch", "name": "batch"})),
        event("e2", "span-create", json!({"id": "s-1", "traceId": "t-batch", "name": "retrieve", "startTime": "2026-12-01T10:00:00Z"})),
        event("e3", "span-update", json!({"id": "s-1", "traceId": "t-batch", "endTime": "2026-12-01T10:00:01Z"})),
        event("e4", "generation-create", json!({"id": "g-1", "traceId": "t-batch", "name": "llm", "model": "gpt-4o", "startTime": "2026-12-01T10:00:00Z"})),
        event("e5", "trace-create", json!({"id": "0af7651916cd43dd8448eb211c80319c", "userId": "u-1"})),
        event("e6", "score-create", json!({"id": "sc-1", "traceId": "t-batch", "name": "quality", "value": 0.5})),
    ];
    let first = batch(&api, events.clone()).await;
    assert_eq!(first.status, StatusCode::MULTI_STATUS, "{}", first.text());
    assert_eq!(counted(&api).await, (2, 5, 1));
    // The same request again (an SDK retry): every row exists, nothing new is counted.
    let retried = batch(&api, events).await;
    assert_eq!(retried.status, StatusCode::MULTI_STATUS, "{}", retried.text());
    assert_eq!(counted(&api).await, (2, 5, 1), "a retried request counts nothing");
    // An update in a later request merges into the stored row: no unit.
    batch(&api, vec![event("e7", "generation-update", json!({"id": "g-1", "traceId": "t-batch", "output": "done"}))]).await;
    assert_eq!(counted(&api).await, (2, 5, 1));

    // Scores: two new, then one of them replaced (a correction: no unit).
    let response = scores(&api, json!([{"id": "sc-2", "traceId": "t-batch", "name": "quality", "value": 1},
                                       {"id": "sc-3", "traceId": "t-batch", "name": "helpful", "value": 0}])).await;
    assert!(response.status.is_success(), "{}", response.text());
    let response = scores(&api, json!({"id": "sc-2", "traceId": "t-batch", "name": "quality", "value": 0.25})).await;
    assert!(response.status.is_success(), "{}", response.text());
    assert_eq!(counted(&api).await, (2, 5, 3));
    assert_eq!(stored(&api).await, counted(&api).await, "the counters are the rows created");

    // Every counter row is in this hour (UTC), on one of the 16 shards.
    let rows: Vec<(String, i16, bool)> =
        sqlx::query_as("SELECT project_id, shard, hour = date_trunc('hour', now(), 'UTC') FROM usage_counters").fetch_all(&api.pool).await.unwrap();
    assert!(!rows.is_empty() && rows.iter().all(|(project, shard, this_hour)| project == "proj-a" && (0..16).contains(shard) && *this_hour), "{rows:?}");

    // Deletes give nothing back (as Langfuse bills): the rows go, the counters stay.
    let deleted = api.call("DELETE", "/api/public/traces/t-batch", None).await;
    assert!(deleted.status.is_success(), "{}", deleted.text());
    let after = stored(&api).await;
    assert!(after.0 == 1, "the trace is deleted: {after:?}");
    assert_eq!(counted(&api).await, (2, 5, 3), "units are not given back");
    // Re-creating the deleted trace is a new unit, as it is a new row.
    batch(&api, vec![event("e8", "trace-create", json!({"id": "t-batch"}))]).await;
    assert_eq!(counted(&api).await, (3, 5, 3));
}

#[tokio::test]
async fn a_rolled_back_write_counts_nothing() {
    let api = TestApi::new().await;
    let prices = loupe_core::pricing::ProjectPrices::none();
    let batch = loupe_core::ingest::model::IngestBatch {
        traces: vec![loupe_core::ingest::model::TracePatch::new("rolled-back")],
        ..Default::default()
    };
    let mut tx = api.pool.begin().await.unwrap();
    let summary = loupe_core::ingest::writer::write(&mut tx, &api.project, &[], batch, &prices, chrono::Utc::now()).await.unwrap();
    assert_eq!(summary.traces_created, 1);
    tx.rollback().await.unwrap();
    assert_eq!(counted(&api).await, (0, 0, 0));
}

/// An instance administrator (the first account) who is also the Owner of `org-of-proj-a`.
async fn admin_owner(api: &TestApi) -> Browser<'_> {
    Browser::member_of_proj_a(api, "admin@example.com", PASSWORD, "OWNER").await
}

fn plan(id: &str, name: &str, units: &str, over_quota: &str) -> Value {
    json!({"id": id, "name": name, "included_units": units, "retention_days": "", "member_limit": "",
           "annotation_queue_limit": "", "over_quota": over_quota, "position": "5"})
}

async fn save_plan(browser: &mut Browser<'_>, plan: Value, create: bool) -> TestResponse {
    browser.call_json("save_plan", &json!({"plan": plan, "create": create})).await
}

#[tokio::test]
async fn a_refusing_plan_refuses_ingestion_past_its_quota_and_recovers_after_a_plan_change() {
    let api = TestApi::new().await;
    let mut admin = admin_owner(&api).await;
    let created = save_plan(&mut admin, plan("tiny", "Tiny", "5", "refuse"), true).await;
    assert_eq!(created.status, 200, "{}", created.text());
    admin.ok("assign_plan", &[("org_id", "org-of-proj-a"), ("plan_id", "tiny")]).await;

    // 4 units, then 2 more: both admitted (4 < 5 when the second arrived); usage ends at 6.
    let response = batch(&api, vec![
        event("a1", "trace-create", json!({"id": "t1"})),
        event("a2", "span-create", json!({"id": "o1", "traceId": "t1"})),
        event("a3", "span-create", json!({"id": "o2", "traceId": "t1"})),
        event("a4", "span-create", json!({"id": "o3", "traceId": "t1"})),
    ]).await;
    assert_eq!(response.status, StatusCode::MULTI_STATUS, "{}", response.text());
    let response = otlp(&api, "1af7651916cd43dd8448eb211c80319c", &["c7ad6b7169203331"]).await;
    assert_eq!(response.status, 200, "{}", response.text());
    assert_eq!(counted(&api).await, (2, 4, 0));

    // Now every write route refuses, naming the plan and the limit, before storing anything.
    let refused = batch(&api, vec![event("b1", "trace-create", json!({"id": "t-refused"}))]).await;
    assert_eq!(refused.status, StatusCode::TOO_MANY_REQUESTS, "{}", refused.text());
    let message = refused.json()["message"].as_str().unwrap().to_string();
    assert!(message.contains("\"Tiny\"") && message.contains("includes 5 units") && message.contains("6 were used"), "{message}");
    assert_eq!(refused.json()["error"]["plan"], "tiny");
    let retry_after: i64 = refused.headers["retry-after"].to_str().unwrap().parse().unwrap();
    assert!(retry_after > 0 && retry_after <= 31 * 24 * 3600, "until the month ends: {retry_after}");
    let refused = otlp(&api, "2af7651916cd43dd8448eb211c80319c", &["d7ad6b7169203331"]).await;
    assert_eq!(refused.status, StatusCode::TOO_MANY_REQUESTS, "{}", refused.text());
    let refused = scores(&api, json!({"id": "sc-refused", "traceId": "t1", "name": "q", "value": 1})).await;
    assert_eq!(refused.status, StatusCode::TOO_MANY_REQUESTS, "{}", refused.text());
    assert!(refused.text().contains("Tiny"));
    assert_eq!(counted(&api).await, (2, 4, 0), "nothing refused was stored");

    // The UI's annotation scores follow the same rule.
    let config = admin
        .call_json("create_score_config", &json!({"project_id": "proj-a", "config": {"name": "good", "data_type": "NUMERIC",
            "min_value": 0.0, "max_value": 1.0, "categories": [], "description": null}}))
        .await
        .json()["id"]
        .as_str()
        .unwrap()
        .to_string();
    let input = json!({"target": {"type": "trace", "traceId": "t1"}, "config_id": config, "value": 1.0, "comment": null, "queue_id": null, "score_id": null});
    let refused = admin.call_json("save_annotation", &json!({"project_id": "proj-a", "input": input})).await;
    assert_eq!(refused.status, 429, "{}", refused.text());
    assert!(refused.text().contains("Tiny"), "{}", refused.text());

    // The owner's banner says so; the usage page shows the plan and the units.
    let banner = admin.ok("get_usage_banner", &[("org_id", "org-of-proj-a")]).await;
    assert_eq!((banner["level"].as_str(), banner["refusing"].as_bool(), banner["plan_name"].as_str()), (Some("Reached"), Some(true), Some("Tiny")));
    let usage = admin.ok("get_org_usage", &[("org_id", "org-of-proj-a")]).await;
    assert_eq!((usage["plan"]["id"].as_str(), usage["total"]["traces"].as_i64(), usage["total"]["observations"].as_i64()), (Some("tiny"), Some(2), Some(4)));
    assert_eq!(usage["by_project"][0]["project_id"], "proj-a");
    let today: i64 = usage["by_day"].as_array().unwrap().iter().map(|d| d["counts"]["traces"].as_i64().unwrap() + d["counts"]["observations"].as_i64().unwrap()).sum();
    assert_eq!(today, 6, "the daily series adds up to the total");

    // Raising the plan's quota applies at once (no waiting for the cache).
    let raised = save_plan(&mut admin, plan("tiny", "Tiny", "100", "refuse"), false).await;
    assert_eq!(raised.status, 200, "{}", raised.text());
    let accepted = batch(&api, vec![event("c1", "trace-create", json!({"id": "t-after"}))]).await;
    assert_eq!(accepted.status, StatusCode::MULTI_STATUS, "{}", accepted.text());
    assert_eq!(admin.call_json("save_annotation", &json!({"project_id": "proj-a", "input": input})).await.status, 200);

    // Lowering it below the usage is allowed and nothing is deleted; ingestion is refused again.
    let lowered = save_plan(&mut admin, plan("tiny", "Tiny", "3", "refuse"), false).await;
    assert_eq!(lowered.status, 200, "{}", lowered.text());
    assert_eq!(stored(&api).await, (3, 4, 1));
    assert_eq!(batch(&api, vec![event("d1", "trace-create", json!({"id": "t-lowered"}))]).await.status, StatusCode::TOO_MANY_REQUESTS);
    let overview = admin.ok("list_plans", &[]).await;
    let row = overview["organizations"].as_array().unwrap().iter().find(|o| o["org_id"] == "org-of-proj-a").unwrap().clone();
    assert_eq!((row["plan_id"].as_str(), row["units"].as_i64()), (Some("tiny"), Some(8)), "{row}");

    // Back on the default plan (self-hosted: unlimited) it is accepted.
    admin.ok("assign_plan", &[("org_id", "org-of-proj-a"), ("plan_id", "")]).await;
    assert_eq!(batch(&api, vec![event("e1", "trace-create", json!({"id": "t-default"}))]).await.status, StatusCode::MULTI_STATUS);
    assert_eq!(admin.ok("get_usage_banner", &[("org_id", "org-of-proj-a")]).await, Value::Null, "no banner on an unlimited plan");
}

#[tokio::test]
async fn a_warn_plan_accepts_past_its_quota_and_warns() {
    let api = TestApi::new().await;
    let mut admin = admin_owner(&api).await;
    assert_eq!(save_plan(&mut admin, plan("soft", "Soft", "10", "warn"), true).await.status, 200);
    admin.ok("assign_plan", &[("org_id", "org-of-proj-a"), ("plan_id", "soft")]).await;
    let eight: Vec<Value> = (0..8).map(|i| event(&format!("w{i}"), "trace-create", json!({"id": format!("t{i}")}))).collect();
    assert_eq!(batch(&api, eight).await.status, StatusCode::MULTI_STATUS);
    let banner = admin.ok("get_usage_banner", &[("org_id", "org-of-proj-a")]).await;
    assert_eq!((banner["level"].as_str(), banner["units"].as_i64(), banner["included"].as_i64()), (Some("Warning"), Some(8), Some(10)));
    for round in 0..2 {
        let more: Vec<Value> = (0..5).map(|i| event(&format!("x{round}{i}"), "trace-create", json!({"id": format!("x{round}-{i}")}))).collect();
        assert_eq!(batch(&api, more).await.status, StatusCode::MULTI_STATUS, "a warn plan accepts past its quota");
    }
    assert_eq!(counted(&api).await, (18, 0, 0));
    let banner = admin.ok("get_usage_banner", &[("org_id", "org-of-proj-a")]).await;
    assert_eq!((banner["level"].as_str(), banner["refusing"].as_bool()), (Some("Reached"), Some(false)));
    // A Member sees the usage page but gets no banner (it is for Owners and Admins).
    let mut member = Browser::member_of_proj_a(&api, "member@example.com", PASSWORD, "MEMBER").await;
    assert_eq!(member.ok("get_org_usage", &[("org_id", "org-of-proj-a")]).await["total"]["traces"], 18);
    assert_eq!(member.call("get_usage_banner", &[("org_id", "org-of-proj-a")]).await.status, 403);
}

#[tokio::test]
async fn member_and_queue_limits_are_refused_naming_the_plan() {
    let api = TestApi::new().await;
    let mut admin = admin_owner(&api).await;
    let mut team = plan("team", "Team", "", "warn");
    team["member_limit"] = json!("2");
    team["annotation_queue_limit"] = json!("1");
    assert_eq!(save_plan(&mut admin, team.clone(), true).await.status, 200);
    admin.ok("assign_plan", &[("org_id", "org-of-proj-a"), ("plan_id", "team")]).await;

    // One member (the owner) + one invitation fill the two seats.
    let invite = |email: &'static str| [("org_id", "org-of-proj-a"), ("email", email), ("role", "MEMBER")];
    let created = admin.ok("create_invitation", &invite("bob@example.com")).await;
    let token = created["link"].as_str().unwrap().rsplit('/').next().unwrap().to_string();
    let refused = admin.call("create_invitation", &invite("carol@example.com")).await;
    assert_eq!(refused.status, 403, "{}", refused.text());
    let message = refused.json()["Forbidden"].as_str().unwrap().to_string();
    assert!(message.contains("Team") && message.contains("allows 2 members") && message.contains("has 2"), "{message}");
    // Bob takes his seat.
    let mut bob = Browser::new(&api);
    assert_eq!(bob.ok("sign_up", &[("email", "bob@example.com"), ("password", PASSWORD), ("invite", &token)]).await, "/");
    // With the limit lowered to 1 (allowed below usage), a new invitation is refused…
    team["member_limit"] = json!("1");
    assert_eq!(save_plan(&mut admin, team.clone(), false).await.status, 200);
    assert_eq!(admin.call("create_invitation", &invite("dave@example.com")).await.status, 403);
    // …and an invitation made before the change cannot be accepted past the limit.
    team["member_limit"] = json!("3");
    assert_eq!(save_plan(&mut admin, team.clone(), false).await.status, 200);
    let created = admin.ok("create_invitation", &invite("erin@example.com")).await;
    let erin_token = created["link"].as_str().unwrap().rsplit('/').next().unwrap().to_string();
    team["member_limit"] = json!("2");
    assert_eq!(save_plan(&mut admin, team.clone(), false).await.status, 200);
    let mut erin = Browser::sign_up(&api, "erin@example.com", PASSWORD).await;
    let refused = erin.call("accept_invitation", &[("token", &erin_token)]).await;
    assert_eq!(refused.status, 403, "{}", refused.text());
    assert!(refused.text().contains("Team"));
    let members: i64 = sqlx::query_scalar("SELECT count(*) FROM organization_memberships WHERE org_id = 'org-of-proj-a'").fetch_one(&api.pool).await.unwrap();
    assert_eq!(members, 2);

    // Queues: one per project on this plan.
    let config = admin
        .call_json("create_score_config", &json!({"project_id": "proj-a", "config": {"name": "good", "data_type": "NUMERIC",
            "min_value": 0.0, "max_value": 1.0, "categories": [], "description": null}}))
        .await
        .json()["id"]
        .as_str()
        .unwrap()
        .to_string();
    let queue = |name: &str| json!({"project_id": "proj-a", "queue": {"name": name, "description": null, "score_config_ids": [config], "assignee_ids": [], "reviewers_per_item": 1}});
    assert_eq!(admin.call_json("create_annotation_queue", &queue("first")).await.status, 200);
    let refused = admin.call_json("create_annotation_queue", &queue("second")).await;
    assert_eq!(refused.status, 403, "{}", refused.text());
    let message = refused.json()["Forbidden"].as_str().unwrap().to_string();
    assert!(message.contains("Team") && message.contains("1 annotation queues per project"), "{message}");
    // The public API refuses too (405, as Langfuse answers its Hobby limit), naming the plan.
    let refused = api.call("POST", "/api/public/annotation-queues", Some(json!({"name": "third", "scoreConfigIds": [config]}))).await;
    assert_eq!(refused.status, StatusCode::METHOD_NOT_ALLOWED, "{}", refused.text());
    assert!(refused.json()["message"].as_str().unwrap().contains("\"Team\""), "{}", refused.text());
    let queues: i64 = sqlx::query_scalar("SELECT count(*) FROM annotation_queues").fetch_one(&api.pool).await.unwrap();
    assert_eq!(queues, 1);
    let usage = admin.ok("get_org_usage", &[("org_id", "org-of-proj-a")]).await;
    assert_eq!((usage["members"].as_i64(), usage["by_project"][0]["queues"].as_i64()), (Some(2), Some(1)));
    // The administrator's organizations table: members and queues (the project with the most).
    // A second project of the organization with its own queue: 1 per project, not 2 in all.
    let other = api.with_project("proj-b", "pk-lf-b", "sk-lf-b").await;
    sqlx::query("UPDATE projects SET org_id = 'org-of-proj-a' WHERE id = 'proj-b'").execute(&api.pool).await.unwrap();
    let config_b = other.call("POST", "/api/public/score-configs", Some(json!({"name": "good", "dataType": "NUMERIC"}))).await;
    assert!(config_b.status.is_success(), "{}", config_b.text());
    let queue_b = other.call("POST", "/api/public/annotation-queues", Some(json!({"name": "b", "scoreConfigIds": [config_b.json()["id"]]}))).await;
    assert!(queue_b.status.is_success(), "{}", queue_b.text());
    let overview = admin.ok("list_plans", &[]).await;
    let row = overview["organizations"].as_array().unwrap().iter().find(|o| o["org_id"] == "org-of-proj-a").unwrap().clone();
    assert_eq!((row["members"].as_i64(), row["queues"].as_i64()), (Some(2), Some(1)), "{row}");
}

#[tokio::test]
async fn bad_plan_definitions_are_refused_naming_the_field() {
    let api = TestApi::new().await;
    let mut admin = admin_owner(&api).await;
    let field_of = |response: &TestResponse| response.json()["Invalid"]["field"].as_str().unwrap_or_default().to_string();
    let cases: Vec<(&str, Value, &str)> = vec![
        ("included_units", json!("-5"), "included_units"),
        ("included_units", json!("lots"), "included_units"),
        ("retention_days", json!("0"), "retention_days"),
        ("member_limit", json!("0"), "member_limit"),
        ("annotation_queue_limit", json!("-1"), "annotation_queue_limit"),
        ("over_quota", json!("block"), "over_quota"),
        ("id", json!("Not A Slug"), "id"),
        ("name", json!(" "), "name"),
    ];
    for (field, value, expected) in cases {
        let mut bad = plan("bad", "Bad", "10", "warn");
        bad[field] = value.clone();
        let response = save_plan(&mut admin, bad, true).await;
        assert_eq!(response.status, 400, "{field} = {value}: {}", response.text());
        assert_eq!(field_of(&response), expected, "{}", response.text());
    }
    // Taken ids and names name their field; the seeded plans are there.
    assert_eq!(field_of(&save_plan(&mut admin, plan("hobby", "Another", "1", "warn"), true).await), "id");
    assert_eq!(field_of(&save_plan(&mut admin, plan("another", "Hobby", "1", "warn"), true).await), "name");
    let unknown = admin.call("assign_plan", &[("org_id", "org-of-proj-a"), ("plan_id", "no-such-plan")]).await;
    assert_eq!((unknown.status.as_u16(), field_of(&unknown)), (400, "plan_id".to_string()));
    // The default and a plan in use cannot be deleted.
    assert_eq!(admin.call("delete_plan", &[("plan_id", "self-hosted")]).await.status, 409);
    admin.ok("assign_plan", &[("org_id", "org-of-proj-a"), ("plan_id", "pro")]).await;
    assert_eq!(admin.call("delete_plan", &[("plan_id", "pro")]).await.status, 409);
    admin.ok("delete_plan", &[("plan_id", "enterprise")]).await;
    // The default moves; exactly one plan is the default.
    admin.ok("set_default_plan", &[("plan_id", "hobby")]).await;
    let plans = admin.ok("list_plans", &[]).await["plans"].as_array().unwrap().clone();
    let defaults: Vec<&str> = plans.iter().filter(|p| p["is_default"] == true).map(|p| p["id"].as_str().unwrap()).collect();
    assert_eq!(defaults, vec!["hobby"]);
    assert_eq!(plans.len(), 4);
    let hobby = plans.iter().find(|p| p["id"] == "hobby").unwrap();
    assert_eq!((hobby["included_units"].as_i64(), hobby["retention_days"].as_i64(), hobby["member_limit"].as_i64(), hobby["over_quota"].as_str()),
        (Some(50_000), Some(30), Some(2), Some("refuse")));
}

#[tokio::test]
async fn only_instance_administrators_read_or_change_plans_and_nobody_reads_another_organizations_usage() {
    let api = TestApi::new().await;
    let mut admin = admin_owner(&api).await;
    let mut other = Browser::sign_up(&api, "other@example.com", PASSWORD).await;
    let (other_org, _) = other.create_org("Other Org", "Other Project").await;
    // Not an instance administrator: every plan function is refused.
    assert_eq!(other.call("list_plans", &[]).await.status, 403);
    assert_eq!(other.call("assign_plan", &[("org_id", &other_org), ("plan_id", "enterprise")]).await.status, 403);
    assert_eq!(other.call("set_default_plan", &[("plan_id", "hobby")]).await.status, 403);
    assert_eq!(other.call("delete_plan", &[("plan_id", "core")]).await.status, 403);
    assert_eq!(save_plan(&mut other, plan("mine", "Mine", "", "warn"), true).await.status, 403);
    // Another organization's usage and banner are not found, as if they did not exist.
    assert_eq!(other.call("get_org_usage", &[("org_id", "org-of-proj-a")]).await.status, 404);
    assert_eq!(other.call("get_usage_banner", &[("org_id", "org-of-proj-a")]).await.status, 404);
    assert_eq!(admin.call("get_org_usage", &[("org_id", &other_org)]).await.status, 404);
    // Its own organization's usage: yes.
    assert_eq!(other.ok("get_org_usage", &[("org_id", &other_org)]).await["plan"]["id"], "self-hosted");
    let assigned: Option<String> = sqlx::query_scalar("SELECT plan_id FROM organizations WHERE id = $1").bind(&other_org).fetch_one(&api.pool).await.unwrap();
    assert_eq!(assigned, None);
    // The administrator assigns it, recorded in that organization's audit log.
    admin.ok("assign_plan", &[("org_id", &other_org), ("plan_id", "core")]).await;
    let logged: i64 = sqlx::query_scalar("SELECT count(*) FROM audit_log WHERE org_id = $1 AND action = 'organization.plan'").bind(&other_org).fetch_one(&api.pool).await.unwrap();
    assert_eq!(logged, 1);
    assert_eq!(other.ok("get_org_usage", &[("org_id", &other_org)]).await["plan"]["id"], "core");
}

// ---------------------------------------------------------------------------------------------
// Plan changes that shorten retention: previewed, refused unconfirmed, and never deleting
// anything nobody confirmed.

/// A trace `days` old with `spans` spans and `scores` scores, all at the trace's time.
async fn aged_trace(api: &TestApi, id: &str, days: i64, spans: usize, scores: usize) {
    let at = (chrono::Utc::now() - chrono::Duration::days(days)).to_rfc3339();
    let mut events = vec![json!({"id": format!("{id}-e"), "type": "trace-create", "timestamp": at, "body": {"id": id, "timestamp": at, "name": "aged"}})];
    for i in 0..spans {
        events.push(json!({"id": format!("{id}-s{i}-e"), "type": "span-create", "timestamp": at,
            "body": {"id": format!("{id}-s{i}"), "traceId": id, "startTime": at, "name": "step"}}));
    }
    for i in 0..scores {
        events.push(json!({"id": format!("{id}-sc{i}-e"), "type": "score-create", "timestamp": at,
            "body": {"id": format!("{id}-sc{i}"), "traceId": id, "name": "quality", "value": 1, "timestamp": at}}));
    }
    let response = batch(api, events).await;
    assert_eq!(response.status, StatusCode::MULTI_STATUS, "{}", response.text());
    assert_eq!(response.json()["errors"], json!([]), "{}", response.text());
}

/// The project's trace ids.
async fn trace_ids(api: &TestApi) -> Vec<String> {
    sqlx::query_scalar("SELECT id FROM traces WHERE project_id = $1 ORDER BY id").bind(&api.project_id).fetch_all(&api.pool).await.unwrap()
}

/// Runs the project's retention to the end, as the daily job does; what it deleted.
async fn retention_run(api: &TestApi) -> Option<(i64, i64, i64)> {
    loupe_core::retention::run_to_end(&api.pool, &api.project, loupe_app::domain::retention::RetentionTrigger::Schedule, 3)
        .await
        .unwrap()
        .map(|run| (run.traces_deleted, run.observations_deleted, run.scores_deleted))
}

fn refused_field(response: &TestResponse) -> (u16, String, String) {
    let body = response.json();
    (
        response.status.as_u16(),
        body["Invalid"]["field"].as_str().unwrap_or_default().to_string(),
        body["Invalid"]["message"].as_str().unwrap_or_default().to_string(),
    )
}

async fn preview(browser: &mut Browser<'_>, change: Value) -> Value {
    let response = browser.call_json("preview_plan_change", &json!({"change": change})).await;
    assert_eq!(response.status, 200, "{}", response.text());
    response.json()
}

fn expired(impact: &Value) -> (i64, i64, i64) {
    let e = &impact["expired"];
    (e["traces"].as_i64().unwrap(), e["observations"].as_i64().unwrap(), e["scores"].as_i64().unwrap())
}

fn with_days(id: &str, name: &str, days: &str) -> Value {
    let mut plan = plan(id, name, "", "warn");
    plan["retention_days"] = json!(days);
    plan
}

#[tokio::test]
async fn assigning_a_shorter_retention_plan_states_what_it_deletes_and_needs_a_confirmation() {
    let api = TestApi::new().await;
    let mut admin = admin_owner(&api).await;
    assert_eq!(save_plan(&mut admin, with_days("short", "Short", "10"), true).await.status, 200);
    aged_trace(&api, "t-old", 20, 2, 1).await;
    aged_trace(&api, "t-older", 15, 1, 0).await;
    aged_trace(&api, "t-new", 2, 1, 1).await;

    // The preview: the project's retention goes from forever to 10 days, and what goes.
    let impact = preview(&mut admin, json!({"Assign": {"org_id": "org-of-proj-a", "plan_id": "short"}})).await;
    assert_eq!(expired(&impact), (2, 3, 1), "{impact}");
    assert_eq!((impact["projects"].as_i64(), impact["days"].as_i64(), impact["org_name"].is_string()), (Some(1), Some(10), true));
    let project = &impact["expiring"][0];
    assert_eq!((project["project_id"].as_str(), project["from_days"].as_i64(), project["to_days"].as_i64()), (Some("proj-a"), None, Some(10)));

    // Unconfirmed (missing, or confirming less than the change deletes): refused naming
    // `confirm`, with the counts; nothing changes.
    for confirm in [None, Some(("1", "3", "1")), Some(("2", "2", "1"))] {
        let mut form = vec![("org_id", "org-of-proj-a"), ("plan_id", "short")];
        if let Some((t, o, s)) = confirm {
            form.extend([("confirm[traces]", t), ("confirm[observations]", o), ("confirm[scores]", s)]);
        }
        let (status, field, message) = refused_field(&admin.call("assign_plan", &form).await);
        assert_eq!((status, field.as_str()), (400, "confirm"), "{message}");
        assert!(message.contains("Short") && message.contains("2 traces, 3 observations and 1 scores older than 10 days"), "{message}");
        assert!(message.contains("(projects: Test project)"), "names the project: {message}");
    }
    let assigned: Option<String> = sqlx::query_scalar("SELECT plan_id FROM organizations WHERE id = 'org-of-proj-a'").fetch_one(&api.pool).await.unwrap();
    assert_eq!(assigned, None);
    // The daily run deletes nothing: the data is still kept forever.
    assert_eq!(retention_run(&api).await, None);
    assert_eq!(trace_ids(&api).await, ["t-new", "t-old", "t-older"]);

    // Confirmed with the preview's counts, but an old trace arrived since the preview: the
    // change's own transaction counts again and refuses, with the new numbers.
    aged_trace(&api, "t-late", 30, 1, 0).await;
    let confirmed = |t: &'static str, o: &'static str, s: &'static str| {
        [("org_id", "org-of-proj-a"), ("plan_id", "short"), ("confirm[traces]", t), ("confirm[observations]", o), ("confirm[scores]", s)]
    };
    let (status, field, message) = refused_field(&admin.call("assign_plan", &confirmed("2", "3", "1")).await);
    assert_eq!((status, field.as_str()), (400, "confirm"), "{message}");
    assert!(message.contains("3 traces, 4 observations and 1 scores older than 10 days"), "the new numbers: {message}");
    let assigned: Option<String> = sqlx::query_scalar("SELECT plan_id FROM organizations WHERE id = 'org-of-proj-a'").fetch_one(&api.pool).await.unwrap();
    assert_eq!(assigned, None, "not applied on a confirmation of less");

    // Confirmed with those: applied (and audited with the counts), and the run deletes exactly
    // the expired rows.
    admin.ok("assign_plan", &confirmed("3", "4", "1")).await;
    let audited: Value = sqlx::query_scalar("SELECT after FROM audit_log WHERE org_id = 'org-of-proj-a' AND action = 'organization.plan' ORDER BY id DESC LIMIT 1")
        .fetch_one(&api.pool)
        .await
        .unwrap();
    assert_eq!(audited["retention"]["expiredAtChange"], json!({"traces": 3, "observations": 4, "scores": 1}), "{audited}");
    assert_eq!(retention_run(&api).await, Some((3, 4, 1)));
    assert_eq!(trace_ids(&api).await, ["t-new"]);
    assert_eq!(stored(&api).await, (1, 1, 1));

    // Back to the default (forever): longer, nothing to confirm; then a shorter plan again, with
    // nothing old enough left to delete: no confirmation needed either.
    admin.ok("assign_plan", &[("org_id", "org-of-proj-a"), ("plan_id", "")]).await;
    let impact = preview(&mut admin, json!({"Assign": {"org_id": "org-of-proj-a", "plan_id": "short"}})).await;
    assert_eq!((expired(&impact), impact["projects"].as_i64()), ((0, 0, 0), Some(0)));
    admin.ok("assign_plan", &[("org_id", "org-of-proj-a"), ("plan_id", "short")]).await;
    // An unknown organization or plan is refused as before.
    assert_eq!(admin.call("assign_plan", &[("org_id", "no-such-org"), ("plan_id", "short")]).await.status, 404);
    assert_eq!(refused_field(&admin.call("assign_plan", &[("org_id", "org-of-proj-a"), ("plan_id", "nope")]).await).1, "plan_id");
}

#[tokio::test]
async fn editing_a_plans_retention_down_needs_a_confirmation_and_lower_limits_are_only_shown() {
    let api = TestApi::new().await;
    let mut admin = admin_owner(&api).await;
    assert_eq!(save_plan(&mut admin, with_days("team", "Team", ""), true).await.status, 200);
    admin.ok("assign_plan", &[("org_id", "org-of-proj-a"), ("plan_id", "team")]).await;
    aged_trace(&api, "t-40", 40, 1, 1).await;
    aged_trace(&api, "t-20", 20, 2, 0).await;
    // A project whose own retention (10 days) is already shorter than what the plan gets.
    let other = api.with_project("proj-b", "pk-lf-b", "sk-lf-b").await;
    sqlx::query("UPDATE projects SET retention_days = 10, org_id = 'org-of-proj-a' WHERE id = 'proj-b'").execute(&api.pool).await.unwrap();
    aged_trace(&other, "b-40", 40, 0, 0).await;

    // 30 days: only proj-a's 40-day-old trace; proj-b keeps its 10 days (not shortened).
    let shorter = with_days("team", "Team", "30");
    let impact = preview(&mut admin, json!({"Edit": {"plan": shorter}})).await;
    assert_eq!((expired(&impact), impact["projects"].as_i64()), ((1, 1, 1), Some(1)), "{impact}");
    let refused = save_plan(&mut admin, shorter.clone(), false).await;
    let (status, field, message) = refused_field(&refused);
    assert_eq!((status, field.as_str()), (400, "confirm"), "{message}");
    assert!(message.contains("Saving Team with a retention of 30 days deletes 1 traces, 1 observations and 1 scores"), "{message}");
    let days: Option<i32> = sqlx::query_scalar("SELECT retention_days FROM plans WHERE id = 'team'").fetch_one(&api.pool).await.unwrap();
    assert_eq!(days, None, "the plan is unchanged");
    assert_eq!(retention_run(&api).await, None);
    assert_eq!(trace_ids(&api).await, ["t-20", "t-40"]);

    // The JSON form of a confirmation: the counts the preview showed.
    let saved = admin.call_json("save_plan", &json!({"plan": shorter, "create": false, "confirm": {"traces": 1, "observations": 1, "scores": 1}})).await;
    assert_eq!(saved.status, 200, "{}", saved.text());
    assert_eq!(retention_run(&api).await, Some((1, 1, 1)));
    assert_eq!(trace_ids(&api).await, ["t-20"]);

    // Longer again: nothing to confirm.
    assert_eq!(save_plan(&mut admin, with_days("team", "Team", "60"), false).await.status, 200);
    // Lower limits below the current usage: allowed without a confirmation, and shown.
    let mut tight = with_days("team", "Team", "60");
    tight["included_units"] = json!("1");
    tight["over_quota"] = json!("refuse");
    let impact = preview(&mut admin, json!({"Edit": {"plan": tight}})).await;
    assert_eq!(expired(&impact), (0, 0, 0));
    let over = &impact["over"][0];
    assert_eq!((over["org_id"].as_str(), over["included_units"].as_i64(), over["member_limit"].as_i64()), (Some("org-of-proj-a"), Some(1), None), "{impact}");
    assert!(over["units"].as_i64().unwrap() >= 6, "{impact}");
    assert_eq!(save_plan(&mut admin, tight, false).await.status, 200);
    assert_eq!(stored(&api).await.0, 1, "nothing deleted");
}

#[tokio::test]
async fn changing_the_default_plan_to_a_shorter_retention_needs_a_confirmation() {
    let api = TestApi::new().await;
    let mut admin = admin_owner(&api).await;
    assert_eq!(save_plan(&mut admin, with_days("brief", "Brief", "5"), true).await.status, 200);
    aged_trace(&api, "t-10", 10, 1, 2).await;
    aged_trace(&api, "t-1", 1, 1, 0).await;

    let impact = preview(&mut admin, json!({"Default": {"plan_id": "brief"}})).await;
    assert_eq!(expired(&impact), (1, 1, 2), "{impact}");
    let (status, field, message) = refused_field(&admin.call("set_default_plan", &[("plan_id", "brief")]).await);
    assert_eq!((status, field.as_str()), (400, "confirm"), "{message}");
    assert!(message.contains("Making Brief the default deletes 1 traces, 1 observations and 2 scores older than 5 days"), "{message}");
    let default: String = sqlx::query_scalar("SELECT id FROM plans WHERE is_default").fetch_one(&api.pool).await.unwrap();
    assert_eq!(default, "self-hosted");
    assert_eq!(retention_run(&api).await, None);

    // An organization with a plan of its own is not affected by the default.
    admin.ok("assign_plan", &[("org_id", "org-of-proj-a"), ("plan_id", "pro")]).await;
    admin.ok("set_default_plan", &[("plan_id", "brief")]).await;
    admin.ok("set_default_plan", &[("plan_id", "self-hosted")]).await;
    admin.ok("assign_plan", &[("org_id", "org-of-proj-a"), ("plan_id", "")]).await;
    // A project keeping less than the new default already (3 days): nothing shortened, no confirmation.
    sqlx::query("UPDATE projects SET retention_days = 3 WHERE id = 'proj-a'").execute(&api.pool).await.unwrap();
    assert_eq!(expired(&preview(&mut admin, json!({"Default": {"plan_id": "brief"}})).await), (0, 0, 0));
    sqlx::query("UPDATE projects SET retention_days = NULL WHERE id = 'proj-a'").execute(&api.pool).await.unwrap();

    admin.ok("set_default_plan", &[("plan_id", "brief"), ("confirm[traces]", "1"), ("confirm[observations]", "1"), ("confirm[scores]", "2")]).await;
    assert_eq!(retention_run(&api).await, Some((1, 1, 2)));
    assert_eq!(trace_ids(&api).await, ["t-1"]);
}
