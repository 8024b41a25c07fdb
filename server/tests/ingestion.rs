//! `POST /api/public/ingestion` and `POST /api/public/scores` against a real Postgres: per-event
//! validation, merge rules, scores, limits, and that a success means the rows are stored.

use crate::common;

use axum::http::StatusCode;
use common::TestApi;
use serde_json::{json, Value};

fn event(id: &str, r#type: &str, ts: &str, body: Value) -> Value {
    json!({"id": id, "type": r#type, "timestamp": ts, "body": body})
}

async fn ingest(api: &TestApi, events: Vec<Value>) -> Value {
    let response = api.call("POST", "/api/public/ingestion", Some(json!({ "batch": events, "metadata": {"sdk_name": "test"} }))).await;
    assert_eq!(response.status, StatusCode::MULTI_STATUS, "{}", response.text());
    response.json()
}

async fn trace_row(api: &TestApi, id: &str) -> Value {
    sqlx::query_scalar(
        "SELECT jsonb_build_object('name', name, 'user_id', user_id, 'session_id', session_id, 'release', release,
                'version', version, 'input', input, 'output', output, 'metadata', metadata, 'tags', to_jsonb(tags),
                'public', public, 'environment', environment, 'timestamp', timestamp)
         FROM traces WHERE project_id = $1 AND id = $2",
    )
    .bind(&api.project_id)
    .bind(id)
    .fetch_one(&api.pool)
    .await
    .unwrap()
}

async fn observation_row(api: &TestApi, id: &str) -> Value {
    sqlx::query_scalar(
        "SELECT to_jsonb(o) - 'otel_attributes' FROM observations o WHERE project_id = $1 AND id = $2",
    )
    .bind(&api.project_id)
    .bind(id)
    .fetch_one(&api.pool)
    .await
    .unwrap()
}

async fn count(api: &TestApi, table: &str) -> i64 {
    sqlx::query_scalar(&format!("SELECT count(*) FROM {table} WHERE project_id = $1"))
        .bind(&api.project_id)
        .fetch_one(&api.pool)
        .await
        .unwrap()
}

#[tokio::test]
async fn python_2x_decorator_batch_is_stored_and_merged() {
    // The captured Python 2.60.10 batch of docs/COMPATIBILITY.md §10.4, trimmed.
    let api = TestApi::new().await;
    let t = "21e51acf-a237-454d-9047-b63cd14d0720";
    let response = ingest(
        &api,
        vec![
            event("e1", "trace-create", "2026-11-26T17:39:00.776182Z", json!({"id": t, "timestamp": "2026-11-26T17:39:00.776053Z",
                "name": "outer-function", "input": {"args": ["what is 2+2?"], "kwargs": {}}, "start_time": "2026-11-26T17:39:00.732220Z"})),
            event("e2", "span-create", "2026-11-26T17:39:00.777Z", json!({"traceId": t, "name": "inner_tool",
                "startTime": "2026-11-26T17:39:00.777Z", "input": {"args": [21], "kwargs": {}}, "id": "span-1"})),
            event("e3", "span-update", "2026-11-26T17:39:00.778Z", json!({"traceId": t, "output": {"doubled": 42}, "id": "span-1",
                "endTime": "2026-11-26T17:39:00.779Z"})),
            event("e4", "generation-create", "2026-11-26T17:39:00.780Z", json!({"traceId": t, "name": "manual-llm-call",
                "startTime": "2026-11-26T17:39:00.780Z", "input": {"q": 1}, "id": "gen-1"})),
            event("e5", "generation-update", "2026-11-26T17:39:00.781Z", json!({"traceId": t, "metadata": {"gen_meta": "x"},
                "output": "generated text", "id": "gen-1", "endTime": "2026-11-26T17:39:00.790Z", "model": "gpt-4o-mini",
                "modelParameters": {"temperature": "0.2", "max_tokens": 50}, "usage": {"input": 11, "output": 5, "unit": "TOKENS"}})),
            event("e6", "score-create", "2026-11-26T17:39:00.782Z", json!({"id": "score-1", "traceId": t, "name": "decorator-score", "value": 0.7})),
            event("e7", "trace-create", "2026-11-26T17:39:00.800Z", json!({"id": t, "name": "my-trace-name", "userId": "user-123",
                "output": {"answer": 4}, "sessionId": "session-abc", "release": "r1", "version": "v1", "metadata": {"tenant": "acme"},
                "tags": ["tag-b", "tag-a"], "end_time": "2026-11-26T17:39:00.801Z"})),
        ],
    )
    .await;
    assert_eq!(response["errors"], json!([]));
    assert_eq!(response["successes"].as_array().unwrap().len(), 7);
    assert_eq!(response["successes"][0]["status"], 201);

    let trace = trace_row(&api, t).await;
    assert_eq!(trace["name"], "my-trace-name");
    assert_eq!(trace["input"], json!({"args": ["what is 2+2?"], "kwargs": {}}));
    assert_eq!(trace["output"], json!({"answer": 4}));
    assert_eq!(trace["user_id"], "user-123");
    assert_eq!(trace["session_id"], "session-abc");
    assert_eq!(trace["tags"], json!(["tag-a", "tag-b"]));
    assert_eq!(trace["metadata"], json!({"tenant": "acme"}));
    assert_eq!(trace["environment"], "default");
    assert_eq!(count(&api, "trace_sessions").await, 1);

    let span = observation_row(&api, "span-1").await;
    assert_eq!(span["type"], "SPAN");
    assert_eq!(span["name"], "inner_tool");
    assert_eq!(span["output"], json!({"doubled": 42}));
    assert!(span["end_time"].is_string());
    let generation = observation_row(&api, "gen-1").await;
    assert_eq!(generation["type"], "GENERATION");
    assert_eq!(generation["model"], "gpt-4o-mini");
    assert_eq!(generation["input"], json!({"q": 1}));
    assert_eq!(generation["output"], "generated text");
    assert_eq!(generation["metadata"], json!({"gen_meta": "x"}));
    assert_eq!(generation["level"], "DEFAULT");
    // Usage from the legacy `usage` object, priced with the built-in gpt-4o-mini prices after the
    // create and update events were merged.
    assert_eq!(generation["usage_details"], json!({"input": 11, "output": 5, "total": 16}));
    let cost = generation["total_cost"].as_f64().unwrap();
    assert!((cost - (11.0 * 1.5e-7 + 5.0 * 6e-7)).abs() < 1e-12, "{generation}");

    let score: (String, f64, String) = sqlx::query_as("SELECT name, value, data_type FROM scores WHERE id = 'score-1'")
        .fetch_one(&api.pool)
        .await
        .unwrap();
    assert_eq!(score, ("decorator-score".to_string(), 0.7, "NUMERIC".to_string()));
}

#[tokio::test]
async fn later_requests_fill_fields_deep_merge_metadata_and_union_tags() {
    let api = TestApi::new().await;
    ingest(&api, vec![event("a", "trace-create", "2026-01-01T00:00:05Z", json!({"id": "t", "name": "first", "public": true,
        "metadata": {"a": 1, "nested": {"x": 1}}, "tags": ["one"], "environment": "Production", "timestamp": "2026-01-01T00:00:05Z"}))])
    .await;
    ingest(&api, vec![event("b", "trace-create", "2026-01-01T00:00:06Z", json!({"id": "t", "userId": "u",
        "metadata": {"b": 2, "nested": {"y": 2}}, "tags": ["two", "one"], "environment": "staging", "timestamp": "2026-01-01T00:00:01Z",
        "name": null}))])
    .await;
    let trace = trace_row(&api, "t").await;
    assert_eq!(trace["name"], "first", "absent and null keep the stored value");
    assert_eq!(trace["user_id"], "u");
    assert_eq!(trace["public"], true, "public is not reset by a later event without it");
    assert_eq!(trace["metadata"], json!({"a": 1, "b": 2, "nested": {"x": 1, "y": 2}}));
    assert_eq!(trace["tags"], json!(["one", "two"]));
    assert_eq!(trace["environment"], "production", "environment is normalized and immutable");
    assert!(trace["timestamp"].as_str().unwrap().starts_with("2026-01-01T00:00:01"), "earliest timestamp wins: {trace}");

    // Observation: a level set earlier survives an update without one; start time is immutable.
    ingest(&api, vec![event("c", "span-create", "2026-01-01T00:00:05Z", json!({"id": "s", "traceId": "t", "level": "ERROR",
        "statusMessage": "boom", "startTime": "2026-01-01T00:00:05Z"}))])
    .await;
    ingest(&api, vec![event("d", "span-update", "2026-01-01T00:00:06Z", json!({"id": "s", "traceId": "other",
        "startTime": "2026-01-01T00:00:09Z", "endTime": "2026-01-01T00:00:04Z", "output": "x"}))])
    .await;
    let span = observation_row(&api, "s").await;
    assert_eq!(span["level"], "ERROR");
    assert_eq!(span["status_message"], "boom");
    assert_eq!(span["trace_id"], "t", "trace id is immutable");
    assert_eq!(span["output"], "x");
    assert!(span["start_time"].as_str().unwrap().starts_with("2026-01-01T00:00:05"));
    assert_eq!(span["end_time"], span["start_time"], "an end before the start is clamped to the start");
}

#[tokio::test]
async fn observations_without_a_trace_event_create_their_trace() {
    let api = TestApi::new().await;
    ingest(&api, vec![event("a", "generation-create", "2026-01-01T00:00:00Z", json!({"id": "g", "traceId": "lonely",
        "startTime": "2026-01-01T00:00:03Z", "environment": "dev"}))])
    .await;
    assert_eq!(observation_row(&api, "g").await["end_time"], Value::Null, "a span without an end stays open");
    let trace = trace_row(&api, "lonely").await;
    assert_eq!(trace["environment"], "dev");
    assert!(trace["timestamp"].as_str().unwrap().starts_with("2026-01-01T00:00:03"));
}

#[tokio::test]
async fn invalid_events_are_reported_and_valid_neighbours_stored() {
    let api = TestApi::new().await;
    let response = ingest(
        &api,
        vec![
            event("ok-1", "trace-create", "2026-01-01T00:00:00Z", json!({"id": "t1"})),
            event("bad-type", "frobnicate", "2026-01-01T00:00:00Z", json!({"id": "x"})),
            event("bad-field", "span-create", "2026-01-01T00:00:00Z", json!({"id": "s", "traceId": "t1", "startTime": 5})),
            event("bad-score", "score-create", "2026-01-01T00:00:00Z", json!({"traceId": "t1", "name": "s", "value": 7, "dataType": "BOOLEAN"})),
            event("long-id", "trace-create", "2026-01-01T00:00:00Z", json!({"id": "x".repeat(1001)})),
            event("ok-2", "span-create", "2026-01-01T00:00:00Z", json!({"id": "s2", "traceId": "t1"})),
        ],
    )
    .await;
    let ok: Vec<&str> = response["successes"].as_array().unwrap().iter().map(|s| s["id"].as_str().unwrap()).collect();
    assert_eq!(ok, vec!["ok-1", "ok-2"]);
    let errors = response["errors"].as_array().unwrap();
    assert_eq!(errors.len(), 4, "{response}");
    for error in errors {
        assert_eq!(error["status"], 400);
        assert_eq!(error["message"], "Invalid request data");
    }
    let error_of = |id: &str| errors.iter().find(|e| e["id"] == id).unwrap()["error"].as_str().unwrap().to_string();
    assert!(error_of("bad-type").contains("unknown event type"));
    assert!(error_of("bad-field").contains("batch[2].body.startTime"));
    assert!(error_of("bad-score").contains("BOOLEAN"));
    assert!(error_of("long-id").contains("batch[4].body.id: 1001 bytes"), "{}", error_of("long-id"));
    assert_eq!(count(&api, "traces").await, 1);
    assert_eq!(count(&api, "observations").await, 1);
}

#[tokio::test]
async fn malformed_and_oversize_requests_get_clear_4xx() {
    let api = TestApi::new().await;
    let send_raw = |body: Vec<u8>| {
        let request = axum::http::Request::post("/api/public/ingestion")
            .header("authorization", api.basic_auth())
            .header("content-type", "application/json")
            .body(axum::body::Body::from(body))
            .unwrap();
        api.send(request)
    };
    let response = send_raw(b"{not json".to_vec()).await;
    assert_eq!(response.status, StatusCode::BAD_REQUEST);
    assert!(response.json()["error"].as_str().unwrap().contains("not valid JSON"));

    let response = send_raw(br#"{"batch": {"id": 1}}"#.to_vec()).await;
    assert_eq!(response.status, StatusCode::BAD_REQUEST);
    assert!(response.json()["error"].as_str().unwrap().contains("batch: expected an array"));

    let big = format!(r#"{{"batch": [], "padding": "{}"}}"#, "x".repeat(4_600_000));
    let response = send_raw(big.into_bytes()).await;
    assert_eq!(response.status, StatusCode::PAYLOAD_TOO_LARGE);
    assert!(response.json()["message"].as_str().unwrap().contains("4500000"));

    let response = api.call("POST", "/api/public/ingestion", Some(json!({"batch": []}))).await;
    assert_eq!(response.status, StatusCode::MULTI_STATUS);
    assert_eq!(response.json(), json!({"successes": [], "errors": []}));
}

#[tokio::test]
async fn scores_endpoint_accepts_objects_and_python_5_arrays() {
    let api = TestApi::new().await;
    let response = api.call("POST", "/api/public/scores", Some(json!({"traceId": "t", "name": "accuracy", "value": 0.9}))).await;
    assert_eq!(response.status, StatusCode::OK, "{}", response.text());
    let id = response.json()["id"].as_str().unwrap().to_string();
    assert!(!id.is_empty());

    // The Python 5.x shape (docs/COMPATIBILITY.md §6.1).
    let batch = json!([
        {"id": "633a0cc943f22abd", "traceId": "473af3938bc967232a9dd883ba86df77", "name": "accuracy", "value": 0.9,
         "comment": "numeric", "timestamp": "2026-11-26T17:37:17.009702Z", "metadata": {"m": 1}},
        {"id": "77a5ad8bb81969f5", "traceId": "473af3938bc967232a9dd883ba86df77", "name": "is-correct", "value": 1.0, "dataType": "BOOLEAN"},
        {"id": "my-idempotent-id", "traceId": "473af3938bc967232a9dd883ba86df77", "name": "category", "value": "great", "dataType": "CATEGORICAL"},
        {"id": "20f655587999d9f3", "sessionId": "session-abc", "name": "session-score", "value": 3.0},
        {"id": "eb09e2272fb867b8", "traceId": "81cb", "observationId": "eba43762fbc4da8b", "name": "span-score", "value": 0.5}
    ]);
    let response = api.call("POST", "/api/public/scores", Some(batch)).await;
    assert_eq!(response.status, StatusCode::ACCEPTED, "{}", response.text());
    assert_eq!(response.json(), json!({"message": "Accepted"}));
    assert_eq!(count(&api, "scores").await, 6);

    // Same id again: updated, not duplicated. A bad item is rejected, the good one stored.
    let response = api
        .call("POST", "/api/public/scores", Some(json!([
            {"id": "my-idempotent-id", "traceId": "473af3938bc967232a9dd883ba86df77", "name": "category", "value": "poor"},
            {"traceId": "t", "name": "x", "value": 2, "dataType": "BOOLEAN"}
        ])))
        .await;
    assert_eq!(response.status, StatusCode::MULTI_STATUS);
    let body = response.json();
    assert_eq!((body["accepted"].clone(), body["rejected"].clone()), (json!(1), json!(1)));
    assert!(body["errors"][0]["message"].as_str().unwrap().contains("[1].value"));
    let category: String = sqlx::query_scalar("SELECT string_value FROM scores WHERE id = 'my-idempotent-id'").fetch_one(&api.pool).await.unwrap();
    assert_eq!(category, "poor");
    assert_eq!(count(&api, "scores").await, 6);

    let session_score: Option<String> = sqlx::query_scalar("SELECT session_id FROM scores WHERE id = '20f655587999d9f3'").fetch_one(&api.pool).await.unwrap();
    assert_eq!(session_score.as_deref(), Some("session-abc"));

    // A single invalid object is a 400 naming the problem.
    let response = api.call("POST", "/api/public/scores", Some(json!({"name": "x", "value": 1}))).await;
    assert_eq!(response.status, StatusCode::BAD_REQUEST);
    assert!(response.json()["message"].as_str().unwrap().contains("exactly one target"));
}

#[tokio::test]
async fn public_key_bearer_may_create_scores_but_nothing_else() {
    let api = TestApi::new().await;
    let bearer = |path: &str, body: Value| {
        axum::http::Request::post(path)
            .header("authorization", "Bearer pk-lf-a")
            .header("content-type", "application/json")
            .body(axum::body::Body::from(body.to_string()))
            .unwrap()
    };
    let response = api.send(bearer("/api/public/scores", json!({"traceId": "t", "name": "thumbs", "value": 1}))).await;
    assert_eq!(response.status, StatusCode::OK, "{}", response.text());
    let response = api
        .send(bearer("/api/public/ingestion", json!({"batch": [
            event("t", "trace-create", "2026-01-01T00:00:00Z", json!({"id": "t"})),
            event("s", "score-create", "2026-01-01T00:00:00Z", json!({"traceId": "t", "name": "x", "value": 1}))
        ]})))
        .await;
    assert_eq!(response.status, StatusCode::MULTI_STATUS);
    let body = response.json();
    assert_eq!(body["errors"][0]["status"], 401);
    assert_eq!(body["errors"][0]["message"], "Access Scope Denied");
    assert_eq!(body["successes"][0]["id"], "s");
    assert_eq!(count(&api, "traces").await, 0);
    assert_eq!(count(&api, "scores").await, 2);
    let response = api.send(bearer("/api/public/otel/v1/traces", json!({}))).await;
    assert_eq!(response.status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn score_configs_validate_and_rename_scores() {
    let api = TestApi::new().await;
    sqlx::query(
        "INSERT INTO score_configs (project_id, id, name, data_type, categories) VALUES
         ($1, 'cfg-tone', 'tone', 'CATEGORICAL', '[{\"label\": \"good\", \"value\": 1}, {\"label\": \"bad\", \"value\": 0}]')",
    )
    .bind(&api.project_id)
    .execute(&api.pool)
    .await
    .unwrap();
    let response = api
        .call("POST", "/api/public/scores", Some(json!({"traceId": "t", "name": "whatever", "value": "good", "configId": "cfg-tone", "source": "ANNOTATION"})))
        .await;
    assert_eq!(response.status, StatusCode::OK, "{}", response.text());
    let row: (String, f64, String, String) = sqlx::query_as("SELECT name, value, string_value, source FROM scores").fetch_one(&api.pool).await.unwrap();
    assert_eq!(row, ("tone".into(), 1.0, "good".into(), "ANNOTATION".into()));
    let response = api.call("POST", "/api/public/scores", Some(json!({"traceId": "t", "name": "x", "value": "meh", "configId": "cfg-tone"}))).await;
    assert_eq!(response.status, StatusCode::BAD_REQUEST);
    let response = api.call("POST", "/api/public/scores", Some(json!({"traceId": "t", "name": "x", "value": 1, "configId": "missing"}))).await;
    assert_eq!(response.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn writes_are_scoped_to_the_key_project() {
    let a = TestApi::new().await;
    let b = a.with_project("proj-b", "pk-lf-b", "sk-lf-b").await;
    ingest(&a, vec![event("1", "trace-create", "2026-01-01T00:00:00Z", json!({"id": "same-id", "name": "from-a"}))]).await;
    ingest(&b, vec![event("1", "trace-create", "2026-01-01T00:00:00Z", json!({"id": "same-id", "name": "from-b"}))]).await;
    assert_eq!(trace_row(&a, "same-id").await["name"], "from-a");
    assert_eq!(trace_row(&b, "same-id").await["name"], "from-b");
}

#[tokio::test]
async fn usage_sent_in_a_later_request_is_priced_with_the_stored_model() {
    let api = TestApi::new().await;
    ingest(&api, vec![event("a", "generation-create", "2026-01-01T00:00:00Z", json!({"id": "g", "traceId": "t", "model": "gpt-4o-mini"}))]).await;
    assert_eq!(observation_row(&api, "g").await["total_cost"], Value::Null, "no usage yet, no cost");
    // The OpenAI usage object of docs/COMPATIBILITY.md §3.6's worked example.
    ingest(&api, vec![event("b", "generation-update", "2026-01-01T00:00:01Z", json!({"id": "g", "traceId": "t",
        "usageDetails": {"prompt_tokens": 12, "completion_tokens": 7, "total_tokens": 19,
            "prompt_tokens_details": {"cached_tokens": 2, "audio_tokens": 0},
            "completion_tokens_details": {"reasoning_tokens": 1, "audio_tokens": 0, "accepted_prediction_tokens": 0, "rejected_prediction_tokens": 0}}}))])
    .await;
    let generation = observation_row(&api, "g").await;
    assert_eq!(generation["usage_details"]["input"], 10);
    assert_eq!(generation["usage_details"]["input_cached_tokens"], 2);
    assert_eq!(generation["usage_details"]["output"], 6);
    assert_eq!(generation["usage_details"]["output_reasoning_tokens"], 1);
    let cost = generation["total_cost"].as_f64().unwrap();
    assert!((cost - 5.25e-6).abs() < 1e-12, "§8.3 example: {generation}");

    // A provided cost wins over the price table.
    ingest(&api, vec![event("c", "generation-update", "2026-01-01T00:00:02Z", json!({"id": "g", "traceId": "t", "costDetails": {"total": 0.5}}))]).await;
    assert_eq!(observation_row(&api, "g").await["total_cost"], 0.5);
}

#[tokio::test]
async fn any_value_in_any_field_is_a_per_event_answer_never_a_server_error() {
    // Type confusion over every field the batch API reads: each event either succeeds or gets a
    // 4xx naming its problem; the request is always a 207 and the server never fails.
    let api = TestApi::new().await;
    let fields = [
        "id", "traceId", "name", "startTime", "endTime", "completionStartTime", "timestamp", "userId", "sessionId", "input",
        "output", "metadata", "tags", "public", "level", "statusMessage", "parentObservationId", "version", "release",
        "environment", "model", "modelParameters", "usage", "usageDetails", "costDetails", "promptName", "promptVersion",
        "value", "dataType", "source", "observationId", "configId", "comment", "type",
    ];
    let values = [json!(null), json!(1), json!(-1.5e300), json!("x"), json!(""), json!([]), json!([1, "a"]), json!({}), json!({"a": {"b": []}}), json!(true)];
    let types = ["trace-create", "span-create", "span-update", "generation-create", "generation-update", "event-create", "tool-create", "score-create", "observation-create", "sdk-log"];
    let mut batch = Vec::new();
    let mut n = 0;
    for event_type in types {
        for field in fields {
            for value in &values {
                let mut body = json!({"id": format!("e{n}"), "traceId": "t", "name": "n", "value": 1});
                body[field] = value.clone();
                batch.push(event(&format!("ev{n}"), event_type, "2026-01-01T00:00:00Z", body));
                n += 1;
            }
        }
    }
    for chunk in batch.chunks(500) {
        let response = ingest(&api, chunk.to_vec()).await;
        let answered = response["successes"].as_array().unwrap().len() + response["errors"].as_array().unwrap().len();
        assert_eq!(answered, chunk.len(), "every event gets an answer");
        for error in response["errors"].as_array().unwrap() {
            let status = error["status"].as_u64().unwrap();
            assert!((400..500).contains(&status), "{error}");
            assert!(!error["error"].as_str().unwrap_or_default().is_empty(), "{error}");
        }
    }
    // The envelope itself, too.
    let envelopes = vec![json!(null), json!(1), json!({"id": 1, "type": "trace-create"}), json!({"id": "a", "type": 5, "timestamp": "2026-01-01T00:00:00Z", "body": {}}),
        json!({"id": "b", "type": "trace-create", "timestamp": "2026-01-01T00:00:00Z", "body": []})];
    let response = ingest(&api, envelopes).await;
    assert_eq!(response["errors"].as_array().unwrap().len(), 5);
}
