//! The findings of the hostile-client audit (issue #13), each sent as it was found: NUL
//! characters anywhere, values longer than an index allows, a database refusal nobody foresaw.
//! Every one must answer 4xx or a 207/partial success naming the bad event, and every valid event
//! beside it must be stored.

use crate::common;

use axum::http::StatusCode;
use common::ui::Browser;
use common::TestApi;
use serde_json::{json, Value};

const FFFD: &str = "\u{FFFD}";

fn event(id: &str, r#type: &str, body: Value) -> Value {
    json!({"id": id, "type": r#type, "timestamp": "2026-01-01T00:00:00Z", "body": body})
}

async fn batch(api: &TestApi, events: Vec<Value>) -> Value {
    let response = api.call("POST", "/api/public/ingestion", Some(json!({ "batch": events }))).await;
    assert_eq!(response.status, StatusCode::MULTI_STATUS, "{}", response.text());
    response.json()
}

fn ids(response: &Value, list: &str) -> Vec<String> {
    let mut ids: Vec<String> = response[list].as_array().unwrap().iter().map(|e| e["id"].as_str().unwrap().to_string()).collect();
    ids.sort();
    ids
}

fn error_of(response: &Value, id: &str) -> (u64, String) {
    let error = response["errors"].as_array().unwrap().iter().find(|e| e["id"] == id).unwrap_or_else(|| panic!("no error for {id}: {response}"));
    (error["status"].as_u64().unwrap(), error["error"].as_str().unwrap().to_string())
}

async fn one(api: &TestApi, sql: &str, id: &str) -> Option<Value> {
    sqlx::query_scalar(sql).bind(&api.project_id).bind(id).fetch_optional(&api.pool).await.unwrap()
}

async fn trace(api: &TestApi, id: &str) -> Option<Value> {
    one(api, "SELECT to_jsonb(t) - 'search_text' FROM traces t WHERE project_id = $1 AND id = $2", id).await
}

async fn observation(api: &TestApi, id: &str) -> Option<Value> {
    one(api, "SELECT to_jsonb(o) FROM observations o WHERE project_id = $1 AND id = $2", id).await
}

/// Text the database cannot compress, so its index entries really are as long as it is.
fn incompressible(bytes: usize) -> String {
    let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
    (0..bytes)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            char::from(b'!' + (state % 90) as u8)
        })
        .collect()
}

#[tokio::test]
async fn nul_characters_anywhere_in_a_batch_are_stored_as_replacement_characters() {
    let api = TestApi::new().await;
    let response = batch(
        &api,
        vec![
            event("t", "trace-create", json!({
                "id": "tr\u{0}ace", "name": "n\u{0}", "userId": "u\u{0}", "sessionId": "s\u{0}", "release": "r\u{0}",
                "tags": ["t\u{0}ag"], "input": {"messages": [{"content": "a\u{0}b"}]}, "output": "o\u{0}",
                "metadata": {"k\u{0}ey": {"deep": ["v\u{0}"]}}})),
            event("g", "generation-create", json!({
                "id": "g\u{0}", "traceId": "tr\u{0}ace", "name": "gen\u{0}", "model": "gpt\u{0}4", "statusMessage": "m\u{0}",
                "modelParameters": {"temperature\u{0}": "0.7\u{0}"}, "usageDetails": {"input\u{0}": 3},
                "input": "\u{0}", "output": ["\u{0}\u{0}"], "promptName": "p\u{0}", "promptVersion": 1})),
            event("s", "score-create", json!({"id": "sc\u{0}", "traceId": "tr\u{0}ace", "name": "q\u{0}", "value": "good\u{0}",
                "comment": "c\u{0}", "metadata": {"\u{0}": "\u{0}"}})),
            event("clean", "trace-create", json!({"id": "clean", "name": "clean"})),
        ],
    )
    .await;
    assert_eq!(ids(&response, "successes"), vec!["clean", "g", "s", "t"], "{response}");

    let stored = trace(&api, &format!("tr{FFFD}ace")).await.expect("the trace, its id's NUL replaced");
    assert_eq!(stored["name"], format!("n{FFFD}"));
    assert_eq!(stored["user_id"], format!("u{FFFD}"));
    assert_eq!(stored["session_id"], format!("s{FFFD}"));
    assert_eq!(stored["tags"], json!([format!("t{FFFD}ag")]));
    assert_eq!(stored["input"]["messages"][0]["content"], format!("a{FFFD}b"));
    assert_eq!(stored["metadata"][format!("k{FFFD}ey")]["deep"][0], format!("v{FFFD}"));
    let generation = observation(&api, &format!("g{FFFD}")).await.expect("the generation");
    assert_eq!(generation["model"], format!("gpt{FFFD}4"));
    assert_eq!(generation["output"], json!([format!("{FFFD}{FFFD}")]));
    assert_eq!(generation["prompt_name"], format!("p{FFFD}"));
    let comment: String = sqlx::query_scalar("SELECT comment FROM scores WHERE project_id = $1 AND name = $2")
        .bind(&api.project_id)
        .bind(format!("q{FFFD}"))
        .fetch_one(&api.pool)
        .await
        .unwrap();
    assert_eq!(comment, format!("c{FFFD}"));
    assert!(trace(&api, "clean").await.is_some());
}

#[tokio::test]
async fn over_long_keys_refuse_their_event_only() {
    let api = TestApi::new().await;
    let long = incompressible(5_000);
    let response = batch(
        &api,
        vec![
            event("long-user", "trace-create", json!({"id": "t1", "userId": long})),
            event("long-session", "trace-create", json!({"id": "t2", "sessionId": long})),
            event("long-tag", "trace-create", json!({"id": "t3", "tags": ["ok", incompressible(12_000)]})),
            event("long-trace-id", "span-create", json!({"id": "s1", "traceId": long})),
            event("long-model", "generation-create", json!({"id": "g1", "traceId": "ok", "model": long})),
            event("long-score-name", "score-create", json!({"traceId": "ok", "name": long, "value": 1})),
            event("long-text", "trace-create", json!({"id": "ok", "name": "ok", "input": incompressible(200_000)})),
            event("cjk-id", "trace-create", json!({"id": "长".repeat(250)})),
        ],
    )
    .await;
    assert_eq!(ids(&response, "successes"), vec!["cjk-id", "long-text"], "{response}");
    let cases = [
        ("long-user", "batch[0].body.userId: 5000 bytes"),
        ("long-session", "batch[1].body.sessionId: 5000 bytes"),
        ("long-tag", "batch[2].body.tags[1]: 12000 bytes"),
        ("long-trace-id", "batch[3].body.traceId: 5000 bytes"),
        ("long-model", "batch[4].body.model: 5000 bytes"),
        ("long-score-name", "batch[5].body.name: 5000 bytes"),
    ];
    for (id, expected) in cases {
        let (status, message) = error_of(&response, id);
        assert_eq!(status, 400, "{id}");
        assert!(message.contains(expected) && message.contains("800 bytes"), "{id}: {message}");
    }
    let stored = trace(&api, "ok").await.expect("long free text is stored");
    assert_eq!(stored["input"].as_str().unwrap().len(), 200_000, "never truncated");
    assert!(trace(&api, &"长".repeat(250)).await.is_some(), "750 bytes of CJK is within the limit");
    assert!(trace(&api, "t1").await.is_none() && trace(&api, "t3").await.is_none());
}

fn otlp_span(span_id: &str, name: &str, attributes: Value) -> Value {
    json!({"traceId": "0af7651916cd43dd8448eb211c80319c", "spanId": span_id, "name": name,
           "startTimeUnixNano": "1795715850280000000", "endTimeUnixNano": "1795715850295000000", "attributes": attributes})
}

async fn otlp(api: &TestApi, spans: Vec<Value>) -> (StatusCode, Value) {
    let body = json!({"resourceSpans": [{"scopeSpans": [{"scope": {"name": "hostile"}, "spans": spans}]}]});
    let response = api.call("POST", "/api/public/otel/v1/traces", Some(body)).await;
    (response.status, response.json())
}

#[tokio::test]
async fn otlp_spans_with_nul_are_stored_and_over_long_ones_refused_alone() {
    let api = TestApi::new().await;
    let attr = |key: &str, value: &str| json!({"key": key, "value": {"stringValue": value}});
    let (status, body) = otlp(
        &api,
        vec![
            otlp_span("b7ad6b7169203331", "root\u{0}", json!([attr("langfuse.observation.output", "out\u{0}put"), attr("k\u{0}", "v\u{0}")])),
            otlp_span("c7ad6b7169203332", "child", json!([attr("user.id", &incompressible(3_000))])),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["partialSuccess"]["rejectedSpans"], "1", "{body}");
    let message = body["partialSuccess"]["errorMessage"].as_str().unwrap();
    assert!(message.contains("resourceSpans[0].scopeSpans[0].spans[1]: trace.userId: 3000 bytes"), "{message}");
    let root = observation(&api, "b7ad6b7169203331").await.expect("the valid span is stored");
    assert_eq!(root["name"], format!("root{FFFD}"));
    assert_eq!(root["output"], format!("out{FFFD}put"));
    assert!(observation(&api, "c7ad6b7169203332").await.is_none());

    // Nothing storable at all: a 400 the exporter reports instead of retrying.
    let (status, body) = otlp(&api, vec![otlp_span("d7ad6b7169203333", &incompressible(2_000), json!([]))]).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert!(body["message"].as_str().unwrap().contains("2000 bytes"), "{body}");
}

#[tokio::test]
async fn score_posts_with_nul_are_stored_and_over_long_ones_named() {
    let api = TestApi::new().await;
    let ok = api.call("POST", "/api/public/scores", Some(json!({"traceId": "t\u{0}", "name": "n\u{0}", "value": 1, "comment": "\u{0}"}))).await;
    assert_eq!(ok.status, StatusCode::OK, "{}", ok.text());
    let long = api.call("POST", "/api/public/scores", Some(json!({"traceId": "t", "name": incompressible(3_000), "value": 1}))).await;
    assert_eq!(long.status, StatusCode::BAD_REQUEST);
    assert!(long.json()["message"].as_str().unwrap().contains("body.name: 3000 bytes"), "{}", long.text());
    let mixed = api
        .call("POST", "/api/public/scores", Some(json!([{"traceId": "t", "name": "fine", "value": 1}, {"traceId": incompressible(3_000), "name": "x", "value": 1}])))
        .await;
    assert_eq!(mixed.status, StatusCode::MULTI_STATUS, "{}", mixed.text());
    assert_eq!((mixed.json()["accepted"].as_u64(), mixed.json()["rejected"].as_u64()), (Some(1), Some(1)));
    let names: Vec<String> = sqlx::query_scalar("SELECT name FROM scores WHERE project_id = $1 ORDER BY name")
        .bind(&api.project_id)
        .fetch_all(&api.pool)
        .await
        .unwrap();
    assert_eq!(names, vec!["fine".to_string(), format!("n{FFFD}")]);
}

/// A refusal the per-event rules do not foresee (here a trigger standing in for any future
/// constraint) costs only the unit it is in: the batch is retried in halves down to that unit.
#[tokio::test]
async fn an_unforeseen_database_refusal_costs_only_its_own_trace() {
    let api = TestApi::new().await;
    common::refuse_poisoned_observations(&api.pool).await;
    let mut events: Vec<Value> = (0..9).map(|i| event(&format!("e{i}"), "span-create", json!({"id": format!("s{i}"), "traceId": format!("t{i}")}))).collect();
    events.push(event("bad", "span-create", json!({"id": "p", "traceId": "t4", "name": "poison"})));
    events.push(event("bad-too", "trace-create", json!({"id": "t4", "name": "same trace"})));
    let response = batch(&api, events).await;
    assert_eq!(ids(&response, "errors"), vec!["bad", "bad-too", "e4"], "the poisoned trace's events: {response}");
    let (status, message) = error_of(&response, "bad");
    assert_eq!(status, 400);
    assert!(message.contains("trace \"t4\"") && message.contains("poison refused"), "{message}");
    let stored: i64 = sqlx::query_scalar("SELECT count(*) FROM observations WHERE project_id = $1").bind(&api.project_id).fetch_one(&api.pool).await.unwrap();
    assert_eq!(stored, 8, "every other trace's span is stored");
    assert!(trace(&api, "t4").await.is_none(), "nothing of the refused unit is half-stored");

    // OTLP: the same fallback, reported as partial success.
    let (status, body) = otlp(
        &api,
        vec![otlp_span("e7ad6b7169203334", "poison", json!([])), {
            let mut other = otlp_span("f7ad6b7169203335", "fine", json!([]));
            other["traceId"] = json!("1af7651916cd43dd8448eb211c80319c");
            other
        }],
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["partialSuccess"]["rejectedSpans"], "1", "{body}");
    assert!(observation(&api, "f7ad6b7169203335").await.is_some());
}

#[tokio::test]
async fn nul_in_reads_prompts_and_configs_is_a_4xx() {
    let api = TestApi::new().await;
    for path in [
        "/api/public/traces/a%00b",
        "/api/public/traces?userId=%00",
        "/api/public/observations/%00",
        "/api/public/sessions/%00",
        "/api/public/v2/prompts/%00",
        "/api/public/scores?name=%00",
    ] {
        let response = api.call("GET", path, None).await;
        assert!(response.status.is_client_error(), "{path}: {} {}", response.status, response.text());
        assert!(response.json()["message"].is_string(), "{path}: a JSON body");
    }
    let prompt = api.call("POST", "/api/public/v2/prompts", Some(json!({"name": "p", "type": "text", "prompt": "a\u{0}b"}))).await;
    assert_eq!(prompt.status, StatusCode::BAD_REQUEST, "{}", prompt.text());
    assert!(prompt.text().contains("prompt"), "{}", prompt.text());
    let config = api.call("POST", "/api/public/v2/prompts", Some(json!({"name": "p", "prompt": "ok", "config": {"k": "\u{0}"}}))).await;
    assert_eq!(config.status, StatusCode::BAD_REQUEST, "{}", config.text());
    let score_config =
        api.call("POST", "/api/public/score-configs", Some(json!({"name": "q\u{0}", "dataType": "NUMERIC", "description": "\u{0}"}))).await;
    assert!(score_config.status.is_client_error(), "{} {}", score_config.status, score_config.text());
}

#[tokio::test]
async fn nul_in_server_function_arguments_is_a_4xx() {
    let api = TestApi::new().await;
    let mut browser = Browser::new(&api);
    let sign_up = browser.call("sign_up", &[("email", "a\u{0}@example.com"), ("password", "a long enough password 1")]).await;
    assert_eq!(sign_up.status, StatusCode::BAD_REQUEST, "{}", sign_up.text());
    let sign_in = browser.call("sign_in", &[("email", "a\u{0}@example.com"), ("password", "x")]).await;
    assert!(sign_in.status.is_client_error(), "{} {}", sign_in.status, sign_in.text());

    let mut member = Browser::member_of_proj_a(&api, "member@example.com", "a long enough password 1", "ADMIN").await;
    let trace = member.call("get_trace", &[("project_id", "proj-a"), ("trace_id", "a\u{0}b")]).await;
    assert!(trace.status.is_client_error(), "{} {}", trace.status, trace.text());
    let key = member.call("create_api_key", &[("project_id", "proj-a"), ("note", "n\u{0}")]).await;
    assert!(key.status.is_client_error(), "{} {}", key.status, key.text());
    let project = member.call("get_trace", &[("project_id", "proj\u{0}"), ("trace_id", "t")]).await;
    assert!(project.status.is_client_error(), "{} {}", project.status, project.text());
}
