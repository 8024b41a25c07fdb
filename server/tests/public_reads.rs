//! The public read API, trace and score deletion, score configs and the OpenAPI document
//! (docs/COMPATIBILITY.md §2, §6, §7.1, §7.7), driven through the router against a real Postgres.
//! Rows are seeded with plain SQL so these tests do not depend on the ingestion path.

use crate::common;

use std::collections::BTreeSet;

use axum::http::StatusCode;
use common::{TestApi, TestResponse};
use serde_json::{json, Value};

// ---------------------------------------------------------------------------------------------
// Seeding

/// Inserts one row into `table` from a JSON object whose keys are column names; columns left
/// out get their defaults, `project_id` defaults to the API's project.
async fn insert(api: &TestApi, table: &str, mut row: Value) {
    let object = row.as_object_mut().expect("row is an object");
    object.entry("project_id").or_insert_with(|| json!(api.project_id));
    let columns: Vec<String> = object.keys().cloned().collect();
    let columns = columns.join(", ");
    sqlx::query(&format!(
        "INSERT INTO {table} ({columns}) SELECT {columns} FROM jsonb_populate_record(NULL::{table}, $1)"
    ))
    .bind(&row)
    .execute(&api.pool)
    .await
    .unwrap_or_else(|e| panic!("insert into {table} {row}: {e}"));
}

async fn trace(api: &TestApi, id: &str, timestamp: &str, extra: Value) {
    let mut row = json!({"id": id, "timestamp": timestamp});
    merge(&mut row, extra);
    insert(api, "traces", row).await;
}

async fn observation(api: &TestApi, id: &str, trace_id: &str, start: &str, extra: Value) {
    let mut row = json!({"id": id, "trace_id": trace_id, "type": "SPAN", "start_time": start});
    merge(&mut row, extra);
    insert(api, "observations", row).await;
}

async fn score(api: &TestApi, id: &str, timestamp: &str, extra: Value) {
    let mut row = json!({"id": id, "timestamp": timestamp, "name": "quality", "value": 1.0, "data_type": "NUMERIC"});
    merge(&mut row, extra);
    insert(api, "scores", row).await;
}

fn merge(row: &mut Value, extra: Value) {
    if let Value::Object(extra) = extra {
        row.as_object_mut().unwrap().extend(extra);
    }
}

async fn count(api: &TestApi, sql: &str) -> i64 {
    sqlx::query_scalar(sql).fetch_one(&api.pool).await.unwrap()
}

// ---------------------------------------------------------------------------------------------
// Calling

async fn get(api: &TestApi, path: &str) -> Value {
    let response = api.call("GET", path, None).await;
    assert_eq!(response.status, StatusCode::OK, "GET {path}: {}", response.text());
    response.json()
}

/// The `id`s of a list response's `data`, in order.
async fn ids(api: &TestApi, path: &str) -> Vec<String> {
    let body = get(api, path).await;
    body["data"]
        .as_array()
        .unwrap_or_else(|| panic!("{path}: {body}"))
        .iter()
        .map(|i| i["id"].as_str().unwrap().to_string())
        .collect()
}

/// Asserts a 400 whose message mentions `needle` (the parameter's name, usually).
async fn bad_request(api: &TestApi, method: &str, path: &str, body: Option<Value>, needle: &str) {
    let response = api.call(method, path, body).await;
    assert_eq!(response.status, StatusCode::BAD_REQUEST, "{method} {path}: {}", response.text());
    let json = response.json();
    let message = json["message"].as_str().unwrap_or_default();
    assert!(message.contains(needle), "{method} {path}: message {message:?} should mention {needle:?}");
}

fn assert_not_found(response: &TestResponse, what: &str) {
    assert_eq!(response.status, StatusCode::NOT_FOUND, "{what}: {}", response.text());
    assert_eq!(response.json()["error"], "LangfuseNotFoundError", "{what}");
}

fn keys(value: &Value) -> BTreeSet<String> {
    value.as_object().unwrap_or_else(|| panic!("not an object: {value}")).keys().cloned().collect()
}

fn set(items: &[&str]) -> BTreeSet<String> {
    items.iter().map(|s| s.to_string()).collect()
}

const TRACE_KEYS: &[&str] = &[
    "id",
    "projectId",
    "timestamp",
    "name",
    "userId",
    "sessionId",
    "release",
    "version",
    "input",
    "output",
    "metadata",
    "tags",
    "public",
    "bookmarked",
    "environment",
    "externalId",
    "createdAt",
    "updatedAt",
];

// ---------------------------------------------------------------------------------------------
// Projects

#[tokio::test]
async fn projects_lists_exactly_the_keys_project() {
    let api = TestApi::new().await;
    let other = api.with_project("proj-b", "pk-lf-b", "sk-lf-b").await;
    let body = get(&api, "/api/public/projects").await;
    assert_eq!(
        body,
        json!({"data": [{"id": "proj-a", "name": "Test project", "organization": {"id": "org-of-proj-a", "name": "Test org"}, "metadata": {}}]})
    );
    let body = get(&other, "/api/public/projects").await;
    assert_eq!(body["data"].as_array().unwrap().len(), 1);
    assert_eq!(body["data"][0]["id"], "proj-b");
}

// ---------------------------------------------------------------------------------------------
// Traces

#[tokio::test]
async fn trace_list_items_have_langfuse_fields_and_page_aggregates() {
    let api = TestApi::new().await;
    trace(&api, "t1", "2026-01-01T10:00:00Z", json!({"name": "chat", "user_id": "u1", "session_id": "s1", "release": "r1",
        "version": "v1", "input": {"q": "hi"}, "output": "hello", "metadata": {"k": "v"}, "tags": ["a", "b"], "public": true})).await;
    observation(
        &api,
        "o-late",
        "t1",
        "2026-01-01T10:00:01Z",
        json!({"end_time": "2026-01-01T10:00:03.5Z", "total_cost": 0.25}),
    )
    .await;
    observation(
        &api,
        "o-early",
        "t1",
        "2026-01-01T10:00:00Z",
        json!({"end_time": "2026-01-01T10:00:02Z", "total_cost": 0.5}),
    )
    .await;
    score(&api, "s-num", "2026-01-01T10:00:05Z", json!({"trace_id": "t1"})).await;
    score(
        &api,
        "s-corr",
        "2026-01-01T10:00:06Z",
        json!({"trace_id": "t1", "data_type": "CORRECTION", "value": 0, "string_value": "fixed"}),
    )
    .await;
    trace(&api, "t2", "2026-01-01T09:00:00Z", json!({})).await;

    let body = get(&api, "/api/public/traces").await;
    assert_eq!(body["meta"], json!({"page": 1, "limit": 50, "totalItems": 2, "totalPages": 1}));
    let item = &body["data"][0];
    let mut expected = set(TRACE_KEYS);
    expected.extend(set(&["htmlPath", "latency", "totalCost", "observations", "scores"]));
    assert_eq!(keys(item), expected);
    assert_eq!(item["id"], "t1");
    assert_eq!(item["htmlPath"], "/project/proj-a/traces/t1");
    assert_eq!(item["latency"], 3.5);
    assert!((item["totalCost"].as_f64().unwrap() - 0.75).abs() < 1e-9);
    assert_eq!(item["observations"], json!(["o-early", "o-late"]));
    // CORRECTION scores are not listable.
    assert_eq!(item["scores"], json!(["s-num"]));
    assert_eq!(item["input"], json!({"q": "hi"}));
    assert_eq!(item["output"], "hello");
    assert_eq!(item["metadata"], json!({"k": "v"}));
    assert_eq!(item["tags"], json!(["a", "b"]));
    assert_eq!(item["public"], true);
    assert_eq!(item["environment"], "default");
    assert_eq!(item["externalId"], Value::Null);
    assert_eq!(item["timestamp"], "2026-01-01T10:00:00Z");
    // A trace without observations: zero latency and cost, empty lists.
    let bare = &body["data"][1];
    assert_eq!((bare["latency"].as_f64(), bare["totalCost"].as_f64()), (Some(0.0), Some(0.0)));
    assert_eq!(bare["observations"], json!([]));

    // fields=core: no io, no aggregates (Langfuse reports -1 for skipped metrics).
    let body = get(&api, "/api/public/traces?fields=core").await;
    let item = &body["data"][0];
    assert_eq!((item["input"].clone(), item["metadata"].clone()), (Value::Null, json!({})));
    assert_eq!((item["latency"].as_f64(), item["totalCost"].as_f64()), (Some(-1.0), Some(-1.0)));
    assert_eq!(item["observations"], json!([]));
    let body = get(&api, "/api/public/traces?fields=core,metrics").await;
    assert_eq!(body["data"][0]["latency"], 3.5);
}

#[tokio::test]
async fn trace_list_filters_each_narrow_the_result() {
    let api = TestApi::new().await;
    trace(&api, "t1", "2026-01-01T10:00:00Z", json!({"name": "chat", "user_id": "u1", "session_id": "s1", "release": "r1", "version": "v1", "tags": ["a", "b"], "environment": "prod"})).await;
    trace(&api, "t2", "2026-01-02T10:00:00Z", json!({"name": "search", "user_id": "u2", "session_id": "s2", "release": "r2", "version": "v2", "tags": ["a"], "environment": "dev"})).await;
    trace(
        &api,
        "t3",
        "2026-01-03T10:00:00Z",
        json!({"name": "chat", "user_id": "u1", "tags": ["b", "c"], "environment": "staging"}),
    )
    .await;

    let cases: &[(&str, &[&str])] = &[
        ("", &["t3", "t2", "t1"]),
        ("userId=u1", &["t3", "t1"]),
        ("name=chat", &["t3", "t1"]),
        ("sessionId=s2", &["t2"]),
        ("fromTimestamp=2026-01-02T10:00:00Z", &["t3", "t2"]),
        ("toTimestamp=2026-01-02T10:00:00Z", &["t1"]),
        ("fromTimestamp=2026-01-02T12:00:00%2B02:00&toTimestamp=2026-01-03T00:00:00Z", &["t2"]),
        ("tags=a", &["t2", "t1"]),
        ("tags=a&tags=b", &["t1"]),
        ("tags=x", &[]),
        ("version=v2", &["t2"]),
        ("release=r1", &["t1"]),
        ("environment=prod", &["t1"]),
        ("environment=prod&environment=staging", &["t3", "t1"]),
        ("userId=u1&name=chat&environment=staging", &["t3"]),
    ];
    for (query, expected) in cases {
        assert_eq!(ids(&api, &format!("/api/public/traces?{query}")).await, *expected, "?{query}");
    }
}

#[tokio::test]
async fn trace_list_orders_and_paginates() {
    let api = TestApi::new().await;
    for (i, name) in ["delta", "alpha", "echo", "charlie", "bravo"].iter().enumerate() {
        trace(&api, &format!("t{i}"), &format!("2026-01-01T10:00:0{i}Z"), json!({"name": name})).await;
    }
    trace(&api, "tz", "2026-01-01T09:00:00Z", json!({})).await;
    assert_eq!(ids(&api, "/api/public/traces").await, ["t4", "t3", "t2", "t1", "t0", "tz"]);
    assert_eq!(ids(&api, "/api/public/traces?orderBy=timestamp.asc").await, ["tz", "t0", "t1", "t2", "t3", "t4"]);
    assert_eq!(ids(&api, "/api/public/traces?orderBy=name.asc").await, ["t1", "t4", "t3", "t0", "t2", "tz"]);
    assert_eq!(ids(&api, "/api/public/traces?orderBy=name.DESC").await, ["t2", "t0", "t3", "t4", "t1", "tz"]);
    assert_eq!(ids(&api, "/api/public/traces?orderBy=id.asc&limit=2").await, ["t0", "t1"]);

    let page2 = get(&api, "/api/public/traces?limit=4&page=2").await;
    assert_eq!(page2["meta"], json!({"page": 2, "limit": 4, "totalItems": 6, "totalPages": 2}));
    assert_eq!(page2["data"].as_array().unwrap().len(), 2);
    let beyond = get(&api, "/api/public/traces?limit=4&page=9").await;
    assert_eq!(beyond["data"], json!([]));
    assert_eq!(beyond["meta"]["totalItems"], 6);
}

#[tokio::test]
async fn bad_parameters_are_400s_that_name_the_parameter() {
    let api = TestApi::new().await;
    let cases: &[(&str, &str)] = &[
        ("/api/public/traces?limit=500", "limit must be between 1 and 100, got \"500\""),
        ("/api/public/traces?limit=0", "limit"),
        ("/api/public/traces?limit=ten", "limit"),
        ("/api/public/traces?page=0", "page"),
        ("/api/public/traces?fromTimestamp=yesterday", "fromTimestamp must be an ISO 8601 datetime"),
        ("/api/public/traces?toTimestamp=2026-01-01T00:00:00", "toTimestamp"),
        ("/api/public/traces?orderBy=cost.asc", "orderBy must be <column>.<asc|desc>"),
        ("/api/public/traces?orderBy=name.sideways", "orderBy"),
        ("/api/public/traces?userId=a&userId=b", "userId must be given at most once"),
        ("/api/public/traces?filter=nope", "filter: not valid JSON"),
        ("/api/public/traces?filter=%5B%7B%22type%22%3A%22string%22%2C%22column%22%3A%22color%22%2C%22operator%22%3A%22%3D%22%2C%22value%22%3A%22x%22%7D%5D", "filter[0].column: unknown column \"color\""),
        ("/api/public/observations?filter=%5B%7B%22type%22%3A%22string%22%2C%22column%22%3A%22name%22%2C%22operator%22%3A%22~%22%2C%22value%22%3A%22x%22%7D%5D", "filter[0].operator"),
        ("/api/public/observations?limit=101", "limit"),
        ("/api/public/observations?type=span", "type must be one of SPAN, GENERATION"),
        ("/api/public/observations?level=LOUD", "level must be one of DEBUG"),
        ("/api/public/observations?fromStartTime=2026", "fromStartTime"),
        ("/api/public/v2/observations?limit=1001", "limit must be between 1 and 1000"),
        ("/api/public/v2/observations?cursor=bm90LWEtY3Vyc29y", "cursor"),
        ("/api/public/v2/observations?cursor=%25%25%25", "cursor"),
        ("/api/public/v2/observations?isRootObservation=yes", "isRootObservation must be true or false"),
        ("/api/public/v2/observations?parseIoAsJson=true", "parseIoAsJson"),
        ("/api/public/sessions?limit=-1", "limit"),
        ("/api/public/sessions?fromTimestamp=01/02/2026", "fromTimestamp"),
        ("/api/public/scores?dataType=numeric", "dataType must be one of NUMERIC"),
        ("/api/public/scores?operator=%3E", "operator needs a value"),
        ("/api/public/scores?value=1&operator=~", "operator must be one of"),
        ("/api/public/scores?value=high", "value must be a finite number"),
        ("/api/public/v2/scores?source=HUMAN", "source must be one of API, EVAL, ANNOTATION"),
        ("/api/public/v2/scores?fields=score&userId=u", "Cannot filter by trace properties"),
        ("/api/public/v3/scores?limit=101", "limit"),
        ("/api/public/v3/scores?cursor=xyz", "cursor"),
        ("/api/public/v3/scores?page=2", "unknown query parameter \"page\""),
        ("/api/public/v3/scores?observationId=o", "requires traceId"),
        ("/api/public/score-configs?page=abc", "page"),
    ];
    for (path, needle) in cases {
        bad_request(&api, "GET", path, None, needle).await;
    }
}

#[tokio::test]
async fn trace_detail_has_observation_views_and_v1_scores() {
    let api = TestApi::new().await;
    trace(&api, "t1", "2026-01-01T10:00:00Z", json!({"name": "chat", "metadata": {"k": 1}})).await;
    observation(
        &api,
        "gen",
        "t1",
        "2026-01-01T10:00:01Z",
        json!({
        "type": "GENERATION", "parent_observation_id": "root", "end_time": "2026-01-01T10:00:03Z",
        "completion_start_time": "2026-01-01T10:00:01.5Z", "model": "gpt-4o", "model_parameters": {"temperature": 0.2},
        "input": [{"role": "user", "content": "hi"}], "output": "hello", "level": "WARNING", "status_message": "slow",
        "usage_details": {"input": 10, "input_cached_tokens": 2, "output": 5, "total": 17},
        "cost_details": {"input": 0.001, "output": 0.002, "total": 0.003}, "total_cost": 0.003,
        "internal_model_id": "model-1", "prompt_name": "p", "prompt_version": 3, "environment": "prod"}),
    )
    .await;
    observation(&api, "root", "t1", "2026-01-01T10:00:00Z", json!({})).await;
    score(
        &api,
        "s-text",
        "2026-01-01T10:00:05Z",
        json!({"trace_id": "t1", "data_type": "TEXT", "value": null, "string_value": "nice", "comment": "c"}),
    )
    .await;
    score(
        &api,
        "s-bool",
        "2026-01-01T10:00:04Z",
        json!({"trace_id": "t1", "observation_id": "gen", "data_type": "BOOLEAN", "value": 1, "string_value": "True"}),
    )
    .await;

    let body = get(&api, "/api/public/traces/t1").await;
    let mut expected = set(TRACE_KEYS);
    expected.extend(set(&["htmlPath", "latency", "totalCost", "observations", "scores"]));
    assert_eq!(keys(&body), expected);
    assert_eq!(body["latency"], 3.0);
    assert_eq!(body["totalCost"], 0.003);
    assert_eq!(body["metadata"], json!({"k": 1}));
    let observations = body["observations"].as_array().unwrap();
    assert_eq!(observations.iter().map(|o| o["id"].as_str().unwrap()).collect::<Vec<_>>(), ["root", "gen"]);
    let gen = &observations[1];
    assert_eq!(
        keys(gen),
        set(&[
            "id",
            "projectId",
            "traceId",
            "parentObservationId",
            "type",
            "name",
            "startTime",
            "endTime",
            "completionStartTime",
            "model",
            "modelParameters",
            "input",
            "output",
            "metadata",
            "level",
            "statusMessage",
            "version",
            "environment",
            "createdAt",
            "updatedAt",
            "usage",
            "usageDetails",
            "costDetails",
            "unit",
            "promptTokens",
            "completionTokens",
            "totalTokens",
            "usagePricingTierId",
            "usagePricingTierName",
            "promptId",
            "promptName",
            "promptVersion",
            "modelId",
            "inputPrice",
            "outputPrice",
            "totalPrice",
            "calculatedInputCost",
            "calculatedOutputCost",
            "calculatedTotalCost",
            "latency",
            "timeToFirstToken",
        ])
    );
    assert_eq!(gen["type"], "GENERATION");
    assert_eq!(gen["usage"], json!({"input": 12, "output": 5, "total": 17, "unit": "TOKENS"}));
    assert_eq!(gen["usageDetails"], json!({"input": 10, "input_cached_tokens": 2, "output": 5, "total": 17}));
    assert_eq!(gen["calculatedInputCost"], 0.001);
    assert_eq!(gen["calculatedTotalCost"], 0.003);
    assert_eq!(gen["latency"], 2.0);
    assert_eq!(gen["timeToFirstToken"], 0.5);
    assert_eq!(gen["modelId"], "model-1");
    assert_eq!(gen["promptId"], Value::Null);
    assert_eq!(gen["promptVersion"], 3);
    assert_eq!(gen["level"], "WARNING");
    assert_eq!(gen["modelParameters"], json!({"temperature": 0.2}));
    // The span without end or completion start.
    assert_eq!(
        (observations[0]["latency"].clone(), observations[0]["timeToFirstToken"].clone()),
        (Value::Null, Value::Null)
    );

    let scores = body["scores"].as_array().unwrap();
    assert_eq!(scores.iter().map(|s| s["id"].as_str().unwrap()).collect::<Vec<_>>(), ["s-bool", "s-text"]);
    let text = &scores[1];
    assert!(text.get("value").is_none(), "TEXT scores carry no value: {text}");
    assert_eq!(text["stringValue"], "nice");
    assert_eq!(scores[0]["value"], 1.0);
    assert_eq!(scores[0]["observationId"], "gen");

    let response = api.call("GET", "/api/public/traces/missing", None).await;
    assert_not_found(&response, "missing trace");
    assert!(response.json()["message"].as_str().unwrap().contains("missing"));
}

#[tokio::test]
async fn deleting_traces_removes_their_observations_and_scores() {
    let api = TestApi::new().await;
    for t in ["t1", "t2", "t3", "keep"] {
        trace(&api, t, "2026-01-01T10:00:00Z", json!({})).await;
        observation(&api, &format!("{t}-o"), t, "2026-01-01T10:00:00Z", json!({})).await;
        score(&api, &format!("{t}-s"), "2026-01-01T10:00:00Z", json!({"trace_id": t})).await;
    }
    let response = api.call("DELETE", "/api/public/traces/t1", None).await;
    assert_eq!(response.status, StatusCode::OK, "{}", response.text());
    assert_eq!(response.json(), json!({"message": "Trace deleted successfully"}));
    assert_not_found(&api.call("GET", "/api/public/traces/t1", None).await, "deleted trace");
    assert_eq!(count(&api, "SELECT count(*) FROM observations WHERE trace_id = 't1'").await, 0);
    assert_eq!(count(&api, "SELECT count(*) FROM scores WHERE trace_id = 't1'").await, 0);
    assert_not_found(&api.call("DELETE", "/api/public/traces/t1", None).await, "second delete");

    let response =
        api.call("DELETE", "/api/public/traces", Some(json!({"traceIds": ["t2", "t3", "never-existed"]}))).await;
    assert_eq!(response.status, StatusCode::OK, "{}", response.text());
    assert_eq!(response.json(), json!({"message": "Traces deleted successfully"}));
    assert_eq!(ids(&api, "/api/public/traces").await, ["keep"]);
    assert_eq!(count(&api, "SELECT count(*) FROM observations").await, 1);
    assert_eq!(count(&api, "SELECT count(*) FROM scores").await, 1);

    bad_request(
        &api,
        "DELETE",
        "/api/public/traces",
        Some(json!({"traceIds": []})),
        "traceIds must contain between 1 and 1000",
    )
    .await;
    let too_many: Vec<String> = (0..1001).map(|i| format!("t{i}")).collect();
    bad_request(&api, "DELETE", "/api/public/traces", Some(json!({"traceIds": too_many})), "got 1001").await;
    bad_request(&api, "DELETE", "/api/public/traces", Some(json!({"ids": ["keep"]})), "traceIds").await;
    bad_request(&api, "DELETE", "/api/public/traces", None, "body is empty").await;
    assert_eq!(ids(&api, "/api/public/traces").await, ["keep"]);
}

#[tokio::test]
async fn the_default_trace_list_walks_the_time_index() {
    let api = TestApi::new().await;
    for project in ["proj-a", "proj-b"] {
        if project == "proj-b" {
            api.with_project("proj-b", "pk-lf-b", "sk-lf-b").await;
        }
        sqlx::query(
            "INSERT INTO traces (project_id, id, timestamp, name)
             SELECT $1, 't' || i, timestamptz '2026-01-01' + i * interval '1 second', 'n' || (i % 10)
             FROM generate_series(1, 20000) AS i",
        )
        .bind(project)
        .execute(&api.pool)
        .await
        .unwrap();
    }
    sqlx::query("ANALYZE traces").execute(&api.pool).await.unwrap();
    use loupe_core::store::query::Page;
    use loupe_core::store::traces::{list_query, TraceFilter, TraceOrder};
    let qb = list_query(&api.project, &TraceFilter::default(), TraceOrder::default(), Page { limit: 50, offset: 0 }, true);
    let plan: Value = sqlx::query_scalar(&format!("EXPLAIN (FORMAT JSON) {}", qb.sql()))
        .bind("proj-a")
        .bind(50i64)
        .bind(0i64)
        .fetch_one(&api.pool)
        .await
        .unwrap();
    let plan = plan.to_string();
    assert!(plan.contains("traces_time_idx"), "plan does not use traces_time_idx: {plan}");
    assert!(!plan.contains("\"Sort\""), "plan sorts instead of walking the index: {plan}");
    // And the endpoint answers from it.
    let body = get(&api, "/api/public/traces?limit=3").await;
    assert_eq!(body["data"][0]["id"], "t20000");
    assert_eq!(body["meta"]["totalItems"], 20000);
}

// ---------------------------------------------------------------------------------------------
// Observations

async fn seed_observation_filters(api: &TestApi) {
    trace(api, "t1", "2026-01-01T10:00:00Z", json!({"user_id": "u1", "session_id": "s1"})).await;
    trace(api, "t2", "2026-01-01T10:00:00Z", json!({"user_id": "u2"})).await;
    observation(
        api,
        "o1",
        "t1",
        "2026-01-01T10:00:01Z",
        json!({"name": "root", "environment": "prod", "version": "v1"}),
    )
    .await;
    observation(api, "o2", "t1", "2026-01-01T10:00:02Z", json!({"name": "llm", "type": "GENERATION", "parent_observation_id": "o1", "level": "ERROR", "environment": "prod"})).await;
    observation(
        api,
        "o3",
        "t2",
        "2026-01-01T10:00:03Z",
        json!({"name": "llm", "type": "GENERATION", "environment": "dev", "version": "v2"}),
    )
    .await;
    observation(
        api,
        "o4",
        "t2",
        "2026-01-01T10:00:04Z",
        json!({"name": "tool", "type": "TOOL", "parent_observation_id": "o3", "level": "DEBUG"}),
    )
    .await;
}

#[tokio::test]
async fn observations_v1_list_filters_paginates_and_gets() {
    let api = TestApi::new().await;
    seed_observation_filters(&api).await;
    let cases: &[(&str, &[&str])] = &[
        ("", &["o4", "o3", "o2", "o1"]),
        ("name=llm", &["o3", "o2"]),
        ("userId=u1", &["o2", "o1"]),
        ("type=GENERATION", &["o3", "o2"]),
        ("traceId=t2", &["o4", "o3"]),
        ("level=ERROR", &["o2"]),
        ("parentObservationId=o3", &["o4"]),
        ("parentObservationId=", &["o3", "o1"]),
        ("environment=prod", &["o2", "o1"]),
        ("environment=dev&environment=default", &["o4", "o3"]),
        ("fromStartTime=2026-01-01T10:00:03Z", &["o4", "o3"]),
        ("toStartTime=2026-01-01T10:00:03Z", &["o2", "o1"]),
        ("version=v2", &["o3"]),
        ("type=GENERATION&userId=u2", &["o3"]),
    ];
    for (query, expected) in cases {
        assert_eq!(ids(&api, &format!("/api/public/observations?{query}")).await, *expected, "?{query}");
    }
    let body = get(&api, "/api/public/observations?limit=3&page=2").await;
    assert_eq!(body["meta"], json!({"page": 2, "limit": 3, "totalItems": 4, "totalPages": 2}));
    assert_eq!(body["data"][0]["id"], "o1");
    assert_eq!(body["data"][0]["usage"], json!({"input": 0, "output": 0, "total": 0, "unit": "TOKENS"}));

    let one = get(&api, "/api/public/observations/o2").await;
    assert_eq!(
        (one["id"].clone(), one["traceId"].clone(), one["parentObservationId"].clone()),
        (json!("o2"), json!("t1"), json!("o1"))
    );
    assert_eq!(one["calculatedTotalCost"], 0.0);
    assert_not_found(&api.call("GET", "/api/public/observations/nope", None).await, "missing observation");
}

#[tokio::test]
async fn observations_v2_filters_and_field_groups() {
    let api = TestApi::new().await;
    seed_observation_filters(&api).await;
    let cases: &[(&str, &[&str])] = &[
        ("sessionId=s1", &["o2", "o1"]),
        ("isRootObservation=true", &["o3", "o1"]),
        ("isRootObservation=false", &["o4", "o2"]),
        ("userId=u2&type=TOOL", &["o4"]),
        ("level=DEBUG", &["o4"]),
        ("name=root&environment=prod&version=v1", &["o1"]),
        ("fromStartTime=2026-01-01T10:00:02Z&toStartTime=2026-01-01T10:00:04Z", &["o3", "o2"]),
    ];
    for (query, expected) in cases {
        assert_eq!(ids(&api, &format!("/api/public/v2/observations?{query}")).await, *expected, "?{query}");
    }

    let long = "m".repeat(300);
    trace(
        &api,
        "t3",
        "2026-01-02T00:00:00Z",
        json!({"name": "the-trace", "tags": ["x"], "release": "r9", "user_id": "u3", "bookmarked": true}),
    )
    .await;
    observation(&api, "rich", "t3", "2026-01-02T00:00:00Z", json!({
        "type": "GENERATION", "input": {"messages": ["hi"]}, "output": "plain text", "end_time": "2026-01-02T00:00:01Z",
        "metadata": {"long": long, "full": long, "short": "s"}, "model": "gpt-4o", "internal_model_id": "m1",
        "usage_details": {"input": 3}, "cost_details": {"input": 0.5}, "total_cost": 0.5, "prompt_name": "p", "prompt_version": 1})).await;

    let body = get(&api, "/api/public/v2/observations?traceId=t3").await;
    let item = &body["data"][0];
    assert_eq!(
        keys(item),
        set(&[
            "id",
            "traceId",
            "startTime",
            "endTime",
            "projectId",
            "parentObservationId",
            "type",
            "isRootObservation",
            "name",
            "level",
            "statusMessage",
            "version",
            "environment",
            "bookmarked",
            "public",
            "userId",
            "sessionId",
            "modelId",
            "inputPrice",
            "outputPrice",
            "totalPrice",
        ])
    );
    assert_eq!(
        (item["userId"].clone(), item["bookmarked"].clone(), item["modelId"].clone()),
        (json!("u3"), json!(true), Value::Null)
    );
    assert_eq!(body["meta"], json!({}));

    let body = get(&api, "/api/public/v2/observations?traceId=t3&fields=core,io,metadata,model,usage,prompt,metrics,trace_context,time&expandMetadata=full").await;
    let item = &body["data"][0];
    assert!(item.get("name").is_none(), "basic group not requested: {item}");
    assert_eq!(item["input"], "{\"messages\":[\"hi\"]}");
    assert_eq!(item["output"], "plain text");
    assert_eq!(item["metadata"]["long"].as_str().unwrap().len(), 200);
    assert_eq!(item["metadata"]["full"].as_str().unwrap().len(), 300);
    assert_eq!(
        (item["model"].clone(), item["internalModelId"].clone(), item["modelId"].clone()),
        (json!("gpt-4o"), json!("m1"), json!("m1"))
    );
    assert_eq!((item["usageDetails"].clone(), item["totalCost"].clone()), (json!({"input": 3}), json!(0.5)));
    assert_eq!((item["promptName"].clone(), item["promptVersion"].clone()), (json!("p"), json!(1)));
    assert_eq!((item["latency"].clone(), item["timeToFirstToken"].clone()), (json!(1.0), Value::Null));
    assert_eq!(
        (item["traceName"].clone(), item["tags"].clone(), item["release"].clone()),
        (json!("the-trace"), json!(["x"]), json!("r9"))
    );
    assert!(item.get("createdAt").is_some() && item.get("completionStartTime").is_some());
}

#[tokio::test]
async fn observations_v2_cursor_walks_every_row_exactly_once() {
    let api = TestApi::new().await;
    trace(&api, "t", "2026-01-01T00:00:00Z", json!({})).await;
    // 23 observations, several sharing a start time (ties are broken by id).
    let mut expected = Vec::new();
    for i in 0..23 {
        let id = format!("o{i:02}");
        let start = format!("2026-01-01T00:00:{:02}.123456Z", i / 3);
        observation(&api, &id, "t", &start, json!({})).await;
        expected.push((start, id));
    }
    expected.sort();
    expected.reverse();
    let expected: Vec<String> = expected.into_iter().map(|(_, id)| id).collect();

    let mut seen = Vec::new();
    let mut path = "/api/public/v2/observations?limit=5".to_string();
    let mut pages = 0;
    loop {
        let body = get(&api, &path).await;
        pages += 1;
        let data = body["data"].as_array().unwrap();
        seen.extend(data.iter().map(|o| o["id"].as_str().unwrap().to_string()));
        match body["meta"].get("cursor") {
            Some(cursor) => {
                assert_eq!(data.len(), 5);
                path = format!("/api/public/v2/observations?limit=5&cursor={}", cursor.as_str().unwrap());
            }
            None => break,
        }
        assert!(pages < 10, "the cursor walk does not end");
    }
    assert_eq!(pages, 5);
    assert_eq!(seen, expected);

    // Exactly a page's worth: the last full page has no cursor.
    let body = get(&api, "/api/public/v2/observations?limit=23").await;
    assert_eq!(body["data"].as_array().unwrap().len(), 23);
    assert!(body["meta"].get("cursor").is_none());
}

// ---------------------------------------------------------------------------------------------
// Sessions

#[tokio::test]
async fn sessions_list_filters_and_detail() {
    let api = TestApi::new().await;
    insert(&api, "trace_sessions", json!({"id": "s1", "created_at": "2026-01-01T10:00:00Z", "environment": "prod"}))
        .await;
    insert(&api, "trace_sessions", json!({"id": "s2", "created_at": "2026-01-02T10:00:00Z"})).await;
    insert(&api, "trace_sessions", json!({"id": "s3", "created_at": "2026-01-03T10:00:00Z", "environment": "dev"}))
        .await;
    trace(&api, "late", "2026-01-01T11:00:00Z", json!({"session_id": "s1"})).await;
    trace(&api, "early", "2026-01-01T10:00:00Z", json!({"session_id": "s1"})).await;
    trace(&api, "other", "2026-01-01T10:00:00Z", json!({"session_id": "s2"})).await;

    let body = get(&api, "/api/public/sessions").await;
    assert_eq!(body["meta"], json!({"page": 1, "limit": 50, "totalItems": 3, "totalPages": 1}));
    assert_eq!(
        body["data"][2],
        json!({"id": "s1", "createdAt": "2026-01-01T10:00:00Z", "projectId": "proj-a", "environment": "prod"})
    );
    let cases: &[(&str, &[&str])] = &[
        ("", &["s3", "s2", "s1"]),
        ("fromTimestamp=2026-01-02T10:00:00Z", &["s3", "s2"]),
        ("toTimestamp=2026-01-02T10:00:00Z", &["s1"]),
        ("environment=prod&environment=dev", &["s3", "s1"]),
        ("limit=1&page=2", &["s2"]),
    ];
    for (query, expected) in cases {
        assert_eq!(ids(&api, &format!("/api/public/sessions?{query}")).await, *expected, "?{query}");
    }

    let body = get(&api, "/api/public/sessions/s1").await;
    assert_eq!(keys(&body), set(&["id", "createdAt", "projectId", "environment", "traces"]));
    let traces: Vec<&str> = body["traces"].as_array().unwrap().iter().map(|t| t["id"].as_str().unwrap()).collect();
    assert_eq!(traces, ["early", "late"]);
    assert_eq!(keys(&body["traces"][0]), set(TRACE_KEYS));
    assert_not_found(&api.call("GET", "/api/public/sessions/s9", None).await, "missing session");
}

// ---------------------------------------------------------------------------------------------
// Scores

async fn seed_scores(api: &TestApi) {
    trace(
        api,
        "t1",
        "2026-01-01T00:00:00Z",
        json!({"user_id": "u1", "tags": ["a", "b"], "environment": "prod", "session_id": "sess"}),
    )
    .await;
    trace(api, "t2", "2026-01-01T00:00:00Z", json!({"user_id": "u2", "tags": ["a"]})).await;
    score(
        api,
        "num",
        "2026-01-01T10:00:01Z",
        json!({"trace_id": "t1", "value": 0.9, "config_id": "cfg", "comment": "good", "metadata": {"m": 1}}),
    )
    .await;
    score(api, "bool", "2026-01-01T10:00:02Z", json!({"trace_id": "t1", "observation_id": "o1", "name": "correct", "data_type": "BOOLEAN", "value": 1, "string_value": "True", "source": "EVAL"})).await;
    score(api, "cat", "2026-01-01T10:00:03Z", json!({"trace_id": "t2", "name": "tone", "data_type": "CATEGORICAL", "value": 0, "string_value": "friendly", "queue_id": "q1", "author_user_id": "user-9", "source": "ANNOTATION", "environment": "dev"})).await;
    score(
        api,
        "text",
        "2026-01-01T10:00:04Z",
        json!({"trace_id": "t2", "name": "note", "data_type": "TEXT", "value": null, "string_value": "fine"}),
    )
    .await;
    score(api, "corr", "2026-01-01T10:00:05Z", json!({"trace_id": "t1", "name": "output", "data_type": "CORRECTION", "value": 0, "string_value": "better answer"})).await;
    score(api, "sess", "2026-01-01T10:00:06Z", json!({"session_id": "sess", "value": 0.1})).await;
    score(api, "run", "2026-01-01T10:00:07Z", json!({"dataset_run_id": "run-1", "value": 0.2})).await;
}

#[tokio::test]
async fn scores_v1_lists_trace_scores_with_trace_attributes() {
    let api = TestApi::new().await;
    seed_scores(&api).await;
    let body = get(&api, "/api/public/scores").await;
    assert_eq!(body["meta"], json!({"page": 1, "limit": 50, "totalItems": 4, "totalPages": 1}));
    let data = body["data"].as_array().unwrap();
    assert_eq!(data.iter().map(|s| s["id"].as_str().unwrap()).collect::<Vec<_>>(), ["text", "cat", "bool", "num"]);
    let num = &data[3];
    assert_eq!(
        keys(num),
        set(&[
            "id",
            "projectId",
            "name",
            "value",
            "stringValue",
            "dataType",
            "source",
            "traceId",
            "observationId",
            "sessionId",
            "datasetRunId",
            "timestamp",
            "createdAt",
            "updatedAt",
            "authorUserId",
            "comment",
            "metadata",
            "configId",
            "queueId",
            "executionTraceId",
            "environment",
            "trace",
        ])
    );
    assert_eq!(num["trace"], json!({"userId": "u1", "tags": ["a", "b"], "environment": "prod", "sessionId": "sess"}));
    assert_eq!(
        (num["value"].clone(), num["stringValue"].clone(), num["metadata"].clone()),
        (json!(0.9), Value::Null, json!({"m": 1}))
    );
    assert!(data[0].get("value").is_none(), "TEXT without value");

    let cases: &[(&str, &[&str])] = &[
        ("userId=u1", &["bool", "num"]),
        ("name=tone", &["cat"]),
        ("configId=cfg", &["num"]),
        ("queueId=q1", &["cat"]),
        ("traceTags=a", &["text", "cat", "bool", "num"]),
        ("traceTags=a&traceTags=b", &["bool", "num"]),
        ("dataType=BOOLEAN", &["bool"]),
        ("dataType=CORRECTION", &[]),
        ("fromTimestamp=2026-01-01T10:00:03Z", &["text", "cat"]),
        ("toTimestamp=2026-01-01T10:00:02Z", &["num"]),
        ("environment=dev", &["cat"]),
        ("environment=dev&environment=default", &["text", "cat", "bool", "num"]),
        ("source=EVAL", &["bool"]),
        ("value=0.9", &["num"]),
        ("value=0.5&operator=%3E", &["bool", "num"]),
        ("value=1&operator=%3C", &["cat", "num"]),
        ("value=0&operator=!%3D", &["bool", "num"]),
        ("scoreIds=num,cat,sess", &["cat", "num"]),
        ("limit=2&page=2", &["bool", "num"]),
    ];
    for (query, expected) in cases {
        assert_eq!(ids(&api, &format!("/api/public/scores?{query}")).await, *expected, "?{query}");
    }
}

#[tokio::test]
async fn scores_v2_lists_every_score_and_single_score_reads() {
    let api = TestApi::new().await;
    seed_scores(&api).await;
    let body = get(&api, "/api/public/v2/scores").await;
    assert_eq!(body["meta"]["totalItems"], 7);
    let by_id = |id: &str| body["data"].as_array().unwrap().iter().find(|s| s["id"] == id).unwrap().clone();
    assert_eq!(by_id("sess")["trace"], Value::Null);
    assert_eq!(by_id("sess")["sessionId"], "sess");
    assert_eq!(by_id("corr")["stringValue"], "better answer");
    assert_eq!(by_id("cat")["trace"]["userId"], "u2");

    let cases: &[(&str, &[&str])] = &[
        ("sessionId=sess", &["sess"]),
        ("datasetRunId=run-1", &["run"]),
        ("traceId=t1", &["corr", "bool", "num"]),
        ("observationId=o1,o9", &["bool"]),
        ("dataType=CORRECTION", &["corr"]),
        ("userId=u2", &["text", "cat"]),
    ];
    for (query, expected) in cases {
        assert_eq!(ids(&api, &format!("/api/public/v2/scores?{query}")).await, *expected, "?{query}");
    }
    let body = get(&api, "/api/public/v2/scores?fields=score&traceId=t1").await;
    assert!(body["data"].as_array().unwrap().iter().all(|s| s["trace"].is_null()));

    let one = get(&api, "/api/public/v2/scores/sess").await;
    assert_eq!((one["id"].clone(), one["sessionId"].clone(), one.get("trace")), (json!("sess"), json!("sess"), None));
    let one = get(&api, "/api/public/scores/bool").await;
    assert_eq!((one["value"].clone(), one["stringValue"].clone()), (json!(1.0), json!("True")));
    // v1 knows neither session scores nor corrections.
    assert_not_found(&api.call("GET", "/api/public/scores/sess", None).await, "v1 session score");
    assert_not_found(&api.call("GET", "/api/public/scores/corr", None).await, "v1 correction");
    assert_not_found(&api.call("GET", "/api/public/v2/scores/nope", None).await, "missing score");

    let response = api.call("DELETE", "/api/public/scores/sess", None).await;
    assert_eq!(response.status, StatusCode::OK, "{}", response.text());
    assert_eq!(response.json(), json!({"message": "Score deleted successfully"}));
    assert_not_found(&api.call("GET", "/api/public/v2/scores/sess", None).await, "deleted score");
    assert_not_found(&api.call("DELETE", "/api/public/scores/sess", None).await, "second delete");
    assert_eq!(count(&api, "SELECT count(*) FROM scores").await, 6);
}

#[tokio::test]
async fn scores_v3_types_values_groups_and_walks_the_cursor() {
    let api = TestApi::new().await;
    seed_scores(&api).await;
    let body = get(&api, "/api/public/v3/scores").await;
    assert_eq!(body["meta"], json!({"limit": 50}));
    let data = body["data"].as_array().unwrap();
    assert_eq!(data.len(), 7);
    let find = |data: &[Value], id: &str| data.iter().find(|s| s["id"] == id).unwrap().clone();
    let num = find(data, "num");
    assert_eq!(
        keys(&num),
        set(&[
            "id",
            "projectId",
            "name",
            "dataType",
            "value",
            "source",
            "timestamp",
            "environment",
            "createdAt",
            "updatedAt"
        ])
    );
    assert_eq!(num["value"], 0.9);
    assert_eq!(find(data, "bool")["value"], true);
    assert_eq!(find(data, "cat")["value"], "friendly");
    assert_eq!(find(data, "text")["value"], "fine");
    assert_eq!(find(data, "corr")["value"], "better answer");

    let body = get(&api, "/api/public/v3/scores?fields=details,subject,annotation").await;
    let data = body["data"].as_array().unwrap();
    assert_eq!(find(data, "num")["subject"], json!({"kind": "trace", "id": "t1"}));
    assert_eq!(find(data, "bool")["subject"], json!({"kind": "observation", "id": "o1", "traceId": "t1"}));
    assert_eq!(find(data, "sess")["subject"], json!({"kind": "session", "id": "sess"}));
    assert_eq!(find(data, "run")["subject"], json!({"kind": "experiment", "id": "run-1"}));
    let num = find(data, "num");
    assert_eq!(
        (num["comment"].clone(), num["configId"].clone(), num["metadata"].clone()),
        (json!("good"), json!("cfg"), json!({"m": 1}))
    );
    let cat = find(data, "cat");
    assert_eq!((cat["authorUserId"].clone(), cat["queueId"].clone()), (json!("user-9"), json!("q1")));

    let cases: &[(&str, &[&str])] = &[
        ("id=num,cat", &["cat", "num"]),
        ("name=tone,note", &["text", "cat"]),
        ("source=annotation,eval", &["cat", "bool"]),
        ("dataType=numeric", &["run", "sess", "num"]),
        ("environment=dev", &["cat"]),
        ("configId=cfg", &["num"]),
        ("queueId=q1", &["cat"]),
        ("authorUserId=user-9", &["cat"]),
        ("dataType=NUMERIC&value=0.1,0.2", &["run", "sess"]),
        ("dataType=BOOLEAN&value=true", &["bool"]),
        ("dataType=CATEGORICAL&value=friendly", &["cat"]),
        ("dataType=NUMERIC&valueMin=0.15&valueMax=0.9", &["run", "num"]),
        ("traceId=t1&observationId=o1", &["bool"]),
        ("traceId=t2", &["text", "cat"]),
        ("sessionId=sess", &["sess"]),
        ("experimentId=run-1", &["run"]),
        ("fromTimestamp=2026-01-01T10:00:06Z", &["run", "sess"]),
        ("toTimestamp=2026-01-01T10:00:02Z", &["num"]),
    ];
    for (query, expected) in cases {
        assert_eq!(ids(&api, &format!("/api/public/v3/scores?{query}")).await, *expected, "?{query}");
    }

    let mut seen = Vec::new();
    let mut path = "/api/public/v3/scores?limit=2".to_string();
    for _ in 0..10 {
        let body = get(&api, &path).await;
        assert_eq!(body["meta"]["limit"], 2);
        seen.extend(body["data"].as_array().unwrap().iter().map(|s| s["id"].as_str().unwrap().to_string()));
        match body["meta"].get("cursor") {
            Some(cursor) => path = format!("/api/public/v3/scores?limit=2&cursor={}", cursor.as_str().unwrap()),
            None => break,
        }
    }
    assert_eq!(seen, ["run", "sess", "corr", "text", "cat", "bool", "num"]);
}

// ---------------------------------------------------------------------------------------------
// Score configs

#[tokio::test]
async fn score_configs_create_list_get_and_patch_with_validation() {
    let api = TestApi::new().await;
    let created = api
        .call("POST", "/api/public/score-configs", Some(json!({"name": "accuracy", "dataType": "NUMERIC", "minValue": 0, "maxValue": 1, "description": "d", "extra": "ignored"})))
        .await;
    assert_eq!(created.status, StatusCode::OK, "{}", created.text());
    let numeric = created.json();
    assert_eq!(
        keys(&numeric),
        set(&[
            "id",
            "projectId",
            "name",
            "dataType",
            "isArchived",
            "minValue",
            "maxValue",
            "categories",
            "description",
            "createdAt",
            "updatedAt"
        ])
    );
    assert_eq!(
        (numeric["minValue"].clone(), numeric["maxValue"].clone(), numeric["isArchived"].clone()),
        (json!(0.0), json!(1.0), json!(false))
    );
    assert_eq!(numeric["projectId"], "proj-a");
    let id = numeric["id"].as_str().unwrap().to_string();

    let boolean = api
        .call("POST", "/api/public/score-configs", Some(json!({"name": "correct", "dataType": "BOOLEAN"})))
        .await
        .json();
    assert_eq!(boolean["categories"], json!([{"label": "True", "value": 1.0}, {"label": "False", "value": 0.0}]));
    let categorical = api
        .call("POST", "/api/public/score-configs", Some(json!({"name": "tone", "dataType": "CATEGORICAL", "categories": [{"label": "kind", "value": 1}, {"label": "rude", "value": 0}]})))
        .await;
    assert_eq!(categorical.status, StatusCode::OK, "{}", categorical.text());

    let invalid: &[(Value, &str)] = &[
        (json!({"dataType": "NUMERIC"}), "name: missing"),
        (json!({"name": "x"}), "dataType: missing"),
        (json!({"name": "x", "dataType": "CORRECTION"}), "dataType must be one of NUMERIC, CATEGORICAL, BOOLEAN, TEXT"),
        (json!({"name": "x".repeat(36), "dataType": "TEXT"}), "name: must be 1 to 35 characters"),
        (json!({"name": "a/b", "dataType": "TEXT"}), "name: '/' is not allowed"),
        (json!({"name": "x", "dataType": "CATEGORICAL"}), "categories"),
        (
            json!({"name": "x", "dataType": "CATEGORICAL", "categories": [{"label": "a", "value": 1}, {"label": "a", "value": 2}]}),
            "duplicate label",
        ),
        (
            json!({"name": "x", "dataType": "CATEGORICAL", "categories": [{"label": "a", "value": "1"}]}),
            "categories[0].value: expected a number",
        ),
        (
            json!({"name": "x", "dataType": "CATEGORICAL", "categories": [{"label": "a", "value": 1}], "minValue": 0}),
            "only NUMERIC",
        ),
        (json!({"name": "x", "dataType": "TEXT", "maxValue": 3}), "only NUMERIC"),
        (json!({"name": "x", "dataType": "BOOLEAN", "categories": [{"label": "Yes", "value": 1}]}), "automatically"),
        (
            json!({"name": "x", "dataType": "NUMERIC", "minValue": 5, "maxValue": 1}),
            "maxValue (1) must be greater than minValue (5)",
        ),
        (json!({"name": "x", "dataType": "NUMERIC", "minValue": "low"}), "minValue: expected a number"),
        (json!(["not", "an", "object"]), "JSON object"),
    ];
    for (body, needle) in invalid {
        bad_request(&api, "POST", "/api/public/score-configs", Some(body.clone()), needle).await;
    }

    let page = get(&api, "/api/public/score-configs?limit=2").await;
    assert_eq!(page["meta"], json!({"page": 1, "limit": 2, "totalItems": 3, "totalPages": 2}));
    assert_eq!(get(&api, &format!("/api/public/score-configs/{id}")).await, numeric);
    assert_not_found(&api.call("GET", "/api/public/score-configs/nope", None).await, "missing config");

    let path = format!("/api/public/score-configs/{id}");
    let patched =
        api.call("PATCH", &path, Some(json!({"name": "accuracy v2", "isArchived": true, "maxValue": null}))).await;
    assert_eq!(patched.status, StatusCode::OK, "{}", patched.text());
    let patched = patched.json();
    assert_eq!(
        (patched["name"].clone(), patched["isArchived"].clone(), patched["maxValue"].clone()),
        (json!("accuracy v2"), json!(true), Value::Null)
    );
    assert_eq!(patched["minValue"], 0.0);
    assert_eq!(patched["createdAt"], numeric["createdAt"]);

    bad_request(&api, "PATCH", &path, Some(json!({})), "Request body cannot be empty").await;
    bad_request(&api, "PATCH", &path, Some(json!({"unknown": 1})), "Request body cannot be empty").await;
    bad_request(&api, "PATCH", &path, Some(json!({"maxValue": -1})), "maxValue (-1) must be greater than minValue (0)")
        .await;
    bad_request(
        &api,
        "PATCH",
        &path,
        Some(json!({"categories": [{"label": "a", "value": 1}]})),
        "only CATEGORICAL and BOOLEAN",
    )
    .await;
    bad_request(&api, "PATCH", &path, Some(json!({"isArchived": "yes"})), "isArchived: expected true or false").await;
    bad_request(&api, "PATCH", &path, Some(json!({"name": null})), "name: expected a string").await;
    // Failed patches changed nothing.
    assert_eq!(get(&api, &path).await, patched);
    assert_not_found(
        &api.call("PATCH", "/api/public/score-configs/nope", Some(json!({"name": "y"}))).await,
        "patch missing config",
    );
}

// ---------------------------------------------------------------------------------------------
// Isolation

#[tokio::test]
async fn another_projects_key_sees_and_deletes_nothing_of_this_project() {
    let a = TestApi::new().await;
    let b = a.with_project("proj-b", "pk-lf-b", "sk-lf-b").await;
    trace(&a, "t1", "2026-01-01T00:00:00Z", json!({"session_id": "s1", "user_id": "u1"})).await;
    observation(&a, "o1", "t1", "2026-01-01T00:00:00Z", json!({})).await;
    score(&a, "sc1", "2026-01-01T00:00:00Z", json!({"trace_id": "t1"})).await;
    score(&a, "sc2", "2026-01-01T00:00:00Z", json!({"session_id": "s1"})).await;
    insert(&a, "trace_sessions", json!({"id": "s1"})).await;
    let config =
        a.call("POST", "/api/public/score-configs", Some(json!({"name": "q", "dataType": "NUMERIC"}))).await.json();
    let config_id = config["id"].as_str().unwrap().to_string();

    for path in [
        "/api/public/traces",
        "/api/public/traces?userId=u1",
        "/api/public/observations",
        "/api/public/observations?traceId=t1",
        "/api/public/v2/observations",
        "/api/public/v2/observations?traceId=t1",
        "/api/public/sessions",
        "/api/public/scores",
        "/api/public/v2/scores",
        "/api/public/v2/scores?traceId=t1",
        "/api/public/v3/scores",
        "/api/public/v3/scores?traceId=t1",
        "/api/public/score-configs",
    ] {
        let body = get(&b, path).await;
        assert_eq!(body["data"], json!([]), "project B sees project A's data at {path}: {body}");
        assert!(!get(&a, path).await["data"].as_array().unwrap().is_empty(), "project A sees its data at {path}");
    }
    for path in [
        "/api/public/traces/t1".to_string(),
        "/api/public/observations/o1".to_string(),
        "/api/public/sessions/s1".to_string(),
        "/api/public/scores/sc1".to_string(),
        "/api/public/v2/scores/sc2".to_string(),
        format!("/api/public/score-configs/{config_id}"),
    ] {
        assert_not_found(&b.call("GET", &path, None).await, &path);
    }
    assert_not_found(
        &b.call("PATCH", &format!("/api/public/score-configs/{config_id}"), Some(json!({"name": "hijacked"}))).await,
        "patch",
    );
    assert_not_found(&b.call("DELETE", "/api/public/traces/t1", None).await, "delete trace");
    assert_not_found(&b.call("DELETE", "/api/public/scores/sc1", None).await, "delete score");
    let response = b.call("DELETE", "/api/public/traces", Some(json!({"traceIds": ["t1"]}))).await;
    assert_eq!(response.status, StatusCode::OK);

    // Project A's data is all still there.
    assert_eq!(count(&a, "SELECT count(*) FROM traces WHERE project_id = 'proj-a'").await, 1);
    assert_eq!(count(&a, "SELECT count(*) FROM observations WHERE project_id = 'proj-a'").await, 1);
    assert_eq!(count(&a, "SELECT count(*) FROM scores WHERE project_id = 'proj-a'").await, 2);
    assert_eq!(get(&a, &format!("/api/public/score-configs/{config_id}")).await["name"], "q");
}

// ---------------------------------------------------------------------------------------------
// OpenAPI

#[tokio::test]
async fn openapi_document_is_served_without_auth() {
    let api = TestApi::new().await;
    let request = axum::http::Request::get("/api/public/openapi.json").body(axum::body::Body::empty()).unwrap();
    let response = api.send(request).await;
    assert_eq!(response.status, StatusCode::OK);
    assert_eq!(response.headers["content-type"], "application/json");
    let doc = response.json();
    assert_eq!(doc["openapi"], "3.1.0");
    assert!(doc["paths"]["/api/public/traces"]["get"].is_object());
    assert!(doc["paths"]["/api/public/score-configs/{id}"]["patch"].is_object());
}

/// `?filter=` with the given filter objects, URL-encoded.
fn with_filter(path: &str, filters: Value) -> String {
    let encoded: String = url::form_urlencoded::byte_serialize(filters.to_string().as_bytes()).collect();
    format!("{path}{}filter={encoded}", if path.contains('?') { "&" } else { "?" })
}

/// Issue #14.2: Langfuse's JSON `filter` on the trace and observation lists, every filter type,
/// combined with the ordinary query parameters.
#[tokio::test]
async fn the_json_filter_parameter_selects_traces_and_observations() {
    let api = TestApi::new().await;
    trace(&api, "a", "2026-01-01T00:00:00Z", json!({"name": "chat", "user_id": "alice", "tags": ["x", "prod"], "metadata": {"tenant": "acme", "n": 3, "vip": true}, "public": true})).await;
    trace(&api, "b", "2026-01-02T00:00:00Z", json!({"name": "chat-v2", "user_id": "bob", "session_id": "s1", "tags": ["y"], "metadata": {"tenant": "globex", "n": 10}})).await;
    trace(&api, "c", "2026-01-03T00:00:00Z", json!({"name": "batch", "tags": ["x"], "environment": "dev"})).await;
    insert(&api, "trace_metrics", json!({"trace_id": "a", "timestamp": "2026-01-01T00:00:00Z", "start_time": "2026-01-01T00:00:00Z", "end_time": "2026-01-01T00:00:05Z", "total_cost": 0.5})).await;
    insert(&api, "trace_metrics", json!({"trace_id": "b", "timestamp": "2026-01-02T00:00:00Z", "start_time": "2026-01-02T00:00:00Z", "end_time": "2026-01-02T00:00:01Z", "total_cost": 2.0})).await;
    observation(&api, "o1", "a", "2026-01-01T00:00:00Z", json!({"name": "llm", "type": "GENERATION", "model": "gpt-4o", "metadata": {"k": "v"}})).await;
    observation(&api, "o2", "b", "2026-01-02T00:00:00Z", json!({"name": "tool", "level": "ERROR"})).await;

    let cases: Vec<(Value, Vec<&str>)> = vec![
        (json!([{"type": "arrayOptions", "column": "tags", "operator": "any of", "value": ["x"]}]), vec!["c", "a"]),
        (json!([{"type": "arrayOptions", "column": "Tags", "operator": "all of", "value": ["x", "prod"]}]), vec!["a"]),
        (json!([{"type": "arrayOptions", "column": "tags", "operator": "none of", "value": ["x"]}]), vec!["b"]),
        (json!([{"type": "datetime", "column": "timestamp", "operator": ">=", "value": "2026-01-02T00:00:00Z"}]), vec!["c", "b"]),
        (json!([{"type": "string", "column": "name", "operator": "starts with", "value": "chat"}]), vec!["b", "a"]),
        (json!([{"type": "string", "column": "name", "operator": "does not contain", "value": "v2"}]), vec!["c", "a"]),
        (json!([{"type": "string", "column": "name", "operator": "contains", "value": "%"}]), vec![]),
        (json!([{"type": "stringOptions", "column": "User ID", "operator": "any of", "value": ["alice", "bob"]}]), vec!["b", "a"]),
        (json!([{"type": "stringOptions", "column": "environment", "operator": "none of", "value": ["dev"]}]), vec!["b", "a"]),
        (json!([{"type": "number", "column": "latency", "operator": ">", "value": 2}]), vec!["a"]),
        (json!([{"type": "number", "column": "totalCost", "operator": ">=", "value": 1}]), vec!["b"]),
        (json!([{"type": "stringObject", "column": "metadata", "key": "tenant", "operator": "=", "value": "acme"}]), vec!["a"]),
        (json!([{"type": "numberObject", "column": "metadata", "key": "n", "operator": ">", "value": 5}]), vec!["b"]),
        (json!([{"type": "booleanObject", "column": "metadata", "key": "vip", "operator": "=", "value": true}]), vec!["a"]),
        (json!([{"type": "boolean", "column": "public", "operator": "=", "value": true}]), vec!["a"]),
        (json!([{"type": "null", "column": "sessionId", "operator": "is null", "value": ""}]), vec!["c", "a"]),
        (json!([{"type": "null", "column": "sessionId", "operator": "is not null", "value": ""},
                {"type": "arrayOptions", "column": "tags", "operator": "any of", "value": ["y"]}]), vec!["b"]),
    ];
    for (filters, expected) in cases {
        assert_eq!(ids(&api, &with_filter("/api/public/traces", filters.clone())).await, expected, "{filters}");
    }
    // Combined with the query parameters, and counted the same way.
    let path = with_filter("/api/public/traces?userId=alice", json!([{"type": "arrayOptions", "column": "tags", "operator": "any of", "value": ["y"]}]));
    assert_eq!(get(&api, &path).await["meta"]["totalItems"], 0);

    let observation_cases: Vec<(Value, Vec<&str>)> = vec![
        (json!([{"type": "stringOptions", "column": "type", "operator": "any of", "value": ["GENERATION"]}]), vec!["o1"]),
        (json!([{"type": "string", "column": "userId", "operator": "=", "value": "bob"}]), vec!["o2"]),
        (json!([{"type": "stringOptions", "column": "level", "operator": "any of", "value": ["ERROR"]}]), vec!["o2"]),
        (json!([{"type": "stringObject", "column": "metadata", "key": "k", "operator": "=", "value": "v"}]), vec!["o1"]),
        (json!([{"type": "arrayOptions", "column": "tags", "operator": "any of", "value": ["prod"]}]), vec!["o1"]),
    ];
    for (filters, expected) in observation_cases {
        assert_eq!(ids(&api, &with_filter("/api/public/observations", filters.clone())).await, expected, "v1 {filters}");
        assert_eq!(ids(&api, &with_filter("/api/public/v2/observations", filters.clone())).await, expected, "v2 {filters}");
    }
}
