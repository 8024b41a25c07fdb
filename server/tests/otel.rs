//! `POST /api/public/otel/v1/traces` end to end on a real Postgres: OTLP/JSON as the JS SDK sends
//! it, OTLP/protobuf + gzip as Python SDK 5.x sends it, spans arriving child-first across
//! requests, and the transport errors.

use crate::common;

use std::io::Write;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use common::TestApi;
use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use opentelemetry_proto::tonic::common::v1::{any_value, AnyValue, InstrumentationScope, KeyValue};
use opentelemetry_proto::tonic::trace::v1::{ResourceSpans, ScopeSpans, Span};
use prost::Message;
use serde_json::{json, Value};

fn post(api: &TestApi, content_type: &str, encoding: Option<&str>, body: Vec<u8>) -> Request<Body> {
    let mut request = Request::post("/api/public/otel/v1/traces")
        .header("authorization", api.basic_auth())
        .header("content-type", content_type);
    if let Some(encoding) = encoding {
        request = request.header("content-encoding", encoding);
    }
    request.body(Body::from(body)).unwrap()
}

async fn observation(api: &TestApi, id: &str) -> Value {
    sqlx::query_scalar("SELECT to_jsonb(o) FROM observations o WHERE project_id = $1 AND id = $2")
        .bind(&api.project_id)
        .bind(id)
        .fetch_one(&api.pool)
        .await
        .unwrap()
}

async fn trace(api: &TestApi, id: &str) -> Value {
    sqlx::query_scalar("SELECT to_jsonb(t) FROM traces t WHERE project_id = $1 AND id = $2")
        .bind(&api.project_id)
        .bind(id)
        .fetch_one(&api.pool)
        .await
        .unwrap()
}

/// The JS SDK 5.11.1 body of docs/COMPATIBILITY.md §10.6, with a root span added.
fn js_export() -> Value {
    json!({"resourceSpans": [{"resource": {"attributes": [{"key": "service.name", "value": {"stringValue": "unknown_service:node"}}]},
      "scopeSpans": [{"scope": {"name": "langfuse-sdk", "version": "5.11.1"}, "spans": [
        {"traceId": "526c787fe04cfac04b73dff2f5d124bd", "spanId": "bfb8b2d2d25906e4", "name": "js-root", "kind": 1,
         "startTimeUnixNano": "1795715850280000000", "endTimeUnixNano": "1795715850295000000",
         "attributes": [{"key": "langfuse.trace.name", "value": {"stringValue": "js-trace"}},
                        {"key": "user.id", "value": {"stringValue": "js-user"}},
                        {"key": "langfuse.observation.input", "value": {"stringValue": "{\"q\":\"hi\"}"}}],
         "status": {"code": 0}},
        {"traceId": "526c787fe04cfac04b73dff2f5d124bd", "spanId": "bca098040b692884", "parentSpanId": "bfb8b2d2d25906e4",
         "name": "js-gen", "kind": 1, "startTimeUnixNano": "1795715850282000000", "endTimeUnixNano": "1795715850289984752",
         "attributes": [{"key": "langfuse.environment", "value": {"stringValue": "js-env"}},
                        {"key": "user.id", "value": {"stringValue": "js-user"}},
                        {"key": "langfuse.trace.tags", "value": {"arrayValue": {"values": [{"stringValue": "js"}]}}},
                        {"key": "langfuse.observation.type", "value": {"stringValue": "generation"}},
                        {"key": "langfuse.observation.model.name", "value": {"stringValue": "gpt-4o-mini"}},
                        {"key": "langfuse.observation.usage_details", "value": {"stringValue": "{\"input\":5,\"output\":3}"}},
                        {"key": "langfuse.observation.completion_start_time", "value": {"stringValue": "\"2026-11-26T17:57:30.284Z\""}}],
         "events": [], "status": {"code": 0}, "links": [], "flags": 257}]}]}]})
}

#[tokio::test]
async fn otlp_json_from_the_js_sdk_is_stored() {
    let api = TestApi::new().await;
    let response = api.send(post(&api, "application/json", None, serde_json::to_vec(&js_export()).unwrap())).await;
    assert_eq!(response.status, StatusCode::OK, "{}", response.text());
    assert_eq!(response.text(), "{}");

    let root = trace(&api, "526c787fe04cfac04b73dff2f5d124bd").await;
    assert_eq!(root["name"], "js-trace");
    assert_eq!(root["user_id"], "js-user");
    assert_eq!(root["tags"], json!(["js"]));
    assert_eq!(root["input"], json!({"q": "hi"}));

    let generation = observation(&api, "bca098040b692884").await;
    assert_eq!(generation["type"], "GENERATION");
    assert_eq!(generation["parent_observation_id"], "bfb8b2d2d25906e4");
    assert_eq!(generation["trace_id"], "526c787fe04cfac04b73dff2f5d124bd");
    assert_eq!(generation["environment"], "js-env");
    assert_eq!(generation["usage_details"]["input"], 5);
    assert_eq!(generation["usage_details"]["output"], 3);
    assert!(generation["total_cost"].as_f64().unwrap() > 0.0, "priced from the built-in table: {generation}");
    assert!(generation["completion_start_time"].as_str().unwrap().starts_with("2026-11-26T17:57:30.284"));
    // The raw attributes are kept, as the compressed record (`otel_record`), not as jsonb.
    assert!(generation["otel_record"].is_string() && generation["otel_attributes"].is_null(), "{generation}");
    let (raw, _) = loupe_core::store::observations::otel_attributes(&api.pool, &api.project, &loupe_app::domain::ObservationId::new("bca098040b692884"))
        .await
        .unwrap()
        .expect("raw attributes kept");
    assert_eq!(raw["span"]["langfuse.observation.type"], "generation");

    // Read back through the public API, with the matched model's unit prices.
    let view = api.call("GET", "/api/public/observations/bca098040b692884", None).await.json();
    assert_eq!(view["model"], "gpt-4o-mini");
    assert_eq!(view["usage"]["input"], 5);
    assert_eq!(view["inputPrice"], 1.5e-7, "{view}");
    assert_eq!(view["outputPrice"], 6e-7);
    let trace = api.call("GET", "/api/public/traces/526c787fe04cfac04b73dff2f5d124bd", None).await.json();
    let listed = trace["observations"].as_array().unwrap().iter().find(|o| o["id"] == "bca098040b692884").unwrap().clone();
    assert_eq!(listed["inputPrice"], 1.5e-7);
    assert_eq!(trace["observations"].as_array().unwrap().len(), 2);
}

fn kv(key: &str, value: &str) -> KeyValue {
    KeyValue { key: key.into(), value: Some(AnyValue { value: Some(any_value::Value::StringValue(value.into())) }), ..Default::default() }
}

fn python_span(span_id: &str, parent: Option<&str>, name: &str, attributes: Vec<KeyValue>) -> Span {
    Span {
        trace_id: hex::decode("473af3938bc967232a9dd883ba86df77").unwrap(),
        span_id: hex::decode(span_id).unwrap(),
        parent_span_id: parent.map(|p| hex::decode(p).unwrap()).unwrap_or_default(),
        name: name.into(),
        kind: 1,
        start_time_unix_nano: 1_795_714_740_732_000_000,
        end_time_unix_nano: 1_795_714_740_932_000_000,
        attributes,
        ..Default::default()
    }
}

fn protobuf_gzip(spans: Vec<Span>) -> Vec<u8> {
    let request = ExportTraceServiceRequest {
        resource_spans: vec![ResourceSpans {
            scope_spans: vec![ScopeSpans {
                scope: Some(InstrumentationScope { name: "langfuse-sdk".into(), version: "5.0.4".into(), ..Default::default() }),
                spans,
                ..Default::default()
            }],
            ..Default::default()
        }],
    };
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    encoder.write_all(&request.encode_to_vec()).unwrap();
    encoder.finish().unwrap()
}

#[tokio::test]
async fn python_protobuf_gzip_children_first_across_requests() {
    let api = TestApi::new().await;
    // OTel exports children when they end, usually before their parent.
    let child = python_span(
        "eba43762fbc4da8b",
        Some("81cb000000000001"),
        "inner",
        vec![kv("langfuse.observation.type", "tool"), kv("session.id", "s-1"), kv("langfuse.observation.metadata.tenant", "\"acme\"")],
    );
    let response = api.send(post(&api, "application/x-protobuf", Some("gzip"), protobuf_gzip(vec![child]))).await;
    assert_eq!(response.status, StatusCode::OK, "{}", response.text());
    assert_eq!(response.headers["content-type"], "application/x-protobuf");
    let early = trace(&api, "473af3938bc967232a9dd883ba86df77").await;
    assert_eq!(early["session_id"], "s-1", "a child's trace attributes create the trace");

    let root = python_span("81cb000000000001", None, "outer", vec![kv("langfuse.trace.name", "py-trace"), kv("langfuse.observation.input", "{\"args\": [1]}")]);
    let response = api.send(post(&api, "application/x-protobuf", Some("gzip"), protobuf_gzip(vec![root]))).await;
    assert_eq!(response.status, StatusCode::OK);
    let full = trace(&api, "473af3938bc967232a9dd883ba86df77").await;
    assert_eq!(full["name"], "py-trace");
    assert_eq!(full["session_id"], "s-1", "the later root keeps what the child said");
    assert_eq!(full["input"], json!({"args": [1]}));
    let tool = observation(&api, "eba43762fbc4da8b").await;
    assert_eq!(tool["type"], "TOOL");
    assert_eq!(tool["metadata"]["tenant"], "acme", "Python 5's JSON-quoted strings are decoded");

    // Resending the same export (an exporter retry) changes nothing and duplicates nothing.
    let root = python_span("81cb000000000001", None, "outer", vec![kv("langfuse.trace.name", "py-trace")]);
    let response = api.send(post(&api, "application/x-protobuf", Some("gzip"), protobuf_gzip(vec![root]))).await;
    assert_eq!(response.status, StatusCode::OK);
    let count: i64 = sqlx::query_scalar("SELECT count(*) FROM observations").fetch_one(&api.pool).await.unwrap();
    assert_eq!(count, 2);
}

#[tokio::test]
async fn transport_errors_are_clear_4xx_and_store_nothing() {
    let api = TestApi::new().await;
    // (content type, content encoding, body, status, text the answer must contain)
    type Case = (&'static str, Option<&'static str>, Vec<u8>, StatusCode, &'static str);
    let cases: Vec<Case> = vec![
        ("text/plain", None, b"hello".to_vec(), StatusCode::BAD_REQUEST, "content type"),
        ("application/x-protobuf", Some("gzip"), b"not gzip".to_vec(), StatusCode::BAD_REQUEST, "gzip"),
        ("application/x-protobuf", None, vec![0x0a, 0xff, 0xff, 0x01], StatusCode::BAD_REQUEST, "OTLP"),
        ("application/json", None, b"{\"resourceSpans\": 5}".to_vec(), StatusCode::BAD_REQUEST, "resourceSpans"),
        ("application/json", None, b"{broken".to_vec(), StatusCode::BAD_REQUEST, "OTLP"),
    ];
    for (content_type, encoding, body, status, needle) in cases {
        let response = api.send(post(&api, content_type, encoding, body)).await;
        assert_eq!(response.status, status, "{content_type}: {}", response.text());
        assert!(response.text().contains(needle), "{content_type}: {}", response.text());
    }
    let mut request = post(&api, "application/json", None, b"{}".to_vec());
    request.headers_mut().insert("x-langfuse-ingestion-version", "9".parse().unwrap());
    let response = api.send(request).await;
    assert_eq!(response.status, StatusCode::BAD_REQUEST);
    assert!(response.text().contains("x-langfuse-ingestion-version"));
    let count: i64 = sqlx::query_scalar("SELECT count(*) FROM observations").fetch_one(&api.pool).await.unwrap();
    assert_eq!(count, 0);
}

/// The mapping inspector's data: the raw attributes and, recorded by the mapper at ingestion,
/// which of them fed which field, read back through the store function the trace page uses.
#[tokio::test]
async fn the_mapping_is_stored_with_the_raw_attributes() {
    let api = TestApi::new().await;
    let body = json!({"resourceSpans": [{
        "resource": {"attributes": [
            {"key": "service.name", "value": {"stringValue": "chat-svc"}},
            {"key": "deployment.environment", "value": {"stringValue": "prod"}}]},
        "scopeSpans": [{"scope": {"name": "opentelemetry.instrumentation.openai_v2", "version": "2.1b0",
                                  "attributes": [{"key": "lib.flavour", "value": {"stringValue": "v2"}}]},
            "spans": [{"traceId": "5b8aa5a2d2c872e8321cf37308d69df2", "spanId": "051581bf3cb55c13", "name": "chat gpt-4o",
                "kind": 3, "startTimeUnixNano": "1795715850282000000", "endTimeUnixNano": "1795715850289984752",
                "attributes": [
                    {"key": "gen_ai.operation.name", "value": {"stringValue": "chat"}},
                    {"key": "gen_ai.request.model", "value": {"stringValue": "gpt-4o"}},
                    {"key": "gen_ai.response.model", "value": {"stringValue": "gpt-4o-2024-08-06"}},
                    {"key": "gen_ai.request.temperature", "value": {"doubleValue": 0.5}},
                    {"key": "gen_ai.usage.input_tokens", "value": {"intValue": "42"}},
                    {"key": "gen_ai.usage.output_tokens", "value": {"intValue": "9"}},
                    {"key": "gen_ai.input.messages", "value": {"stringValue": "[{\"role\":\"user\",\"content\":\"Hi\"}]"}},
                    {"key": "langfuse.trace.metadata.tenant", "value": {"stringValue": "acme"}},
                    {"key": "http.route", "value": {"stringValue": "/chat"}}],
                "status": {"code": 0}}]}]}]});
    let response = api.send(post(&api, "application/json", None, serde_json::to_vec(&body).unwrap())).await;
    assert_eq!(response.status, StatusCode::OK, "{}", response.text());

    let (attributes, mapping) = loupe_core::store::observations::otel_attributes(&api.pool, &api.project, &loupe_app::domain::ObservationId::new("051581bf3cb55c13"))
        .await
        .unwrap()
        .expect("an OTLP observation has attributes");
    assert_eq!(attributes["span"]["gen_ai.request.model"], "gpt-4o", "raw values as sent");
    assert_eq!(attributes.get("mapped"), None, "the mapping comes apart from the attributes");
    assert_eq!(mapping["span"]["gen_ai.response.model"], json!(["model"]));
    assert_eq!(mapping["span"].get("gen_ai.request.model"), None, "the losing fallback is not recorded");
    assert_eq!(mapping["span"]["gen_ai.operation.name"], json!(["type"]));
    assert_eq!(mapping["span"]["gen_ai.request.temperature"], json!(["modelParameters.temperature"]));
    assert_eq!(mapping["span"]["gen_ai.usage.input_tokens"], json!(["usageDetails.input"]));
    assert_eq!(mapping["span"]["gen_ai.input.messages"], json!(["input", "trace.input"]));
    assert_eq!(mapping["span"]["langfuse.trace.metadata.tenant"], json!(["trace.metadata.tenant"]));
    assert_eq!(mapping["resource"]["deployment.environment"], json!(["environment"]));

    // The stored fields agree with what the record says fed them.
    let stored = observation(&api, "051581bf3cb55c13").await;
    assert_eq!(stored["model"], "gpt-4o-2024-08-06");
    assert_eq!(stored["usage_details"]["input"], 42);
    assert_eq!(stored["environment"], "prod");

    // The inspector's rows: per scope, mapped first.
    use loupe_app::domain::otel_inspector::{rows, AttrScope};
    let rows = rows(&attributes, &mapping);
    let span_rows: Vec<_> = rows.iter().filter(|r| r.scope == AttrScope::Span).collect();
    assert_eq!(span_rows.len(), 9);
    assert!(span_rows[..7].iter().all(|r| r.is_mapped()), "{span_rows:#?}");
    assert_eq!(span_rows[7].key, "gen_ai.request.model");
    assert_eq!(span_rows[8].key, "http.route");
    assert!(rows.iter().any(|r| r.scope == AttrScope::Scope && r.key == "lib.flavour" && !r.is_mapped()));
    assert!(rows.iter().any(|r| r.scope == AttrScope::Resource && r.key == "service.name" && !r.is_mapped()));

    // Project-scoped, and nothing for observations that did not come over OTLP.
    let other = api.with_project("another-project", "pk-lf-other", "sk-lf-other").await;
    assert_eq!(loupe_core::store::observations::otel_attributes(&api.pool, &other.project, &loupe_app::domain::ObservationId::new("051581bf3cb55c13")).await.unwrap(), None);
    let batch = json!({"batch": [{"id": "e1", "type": "span-create", "timestamp": "2026-11-26T17:57:30.282Z",
        "body": {"id": "batch-span", "traceId": "t-batch", "name": "s", "startTime": "2026-11-26T17:57:30.282Z"}}]});
    let response = api.call("POST", "/api/public/ingestion", Some(batch)).await;
    assert_eq!(response.status, StatusCode::MULTI_STATUS, "{}", response.text());
    assert!(observation(&api, "batch-span").await.is_object());
    assert_eq!(loupe_core::store::observations::otel_attributes(&api.pool, &api.project, &loupe_app::domain::ObservationId::new("batch-span")).await.unwrap(), None);
}

/// Issue #23: the record moved from `otel_attributes` (jsonb) to `otel_record` (compressed bytes).
/// A row stored before the move still reads the same through the inspector's store function; a
/// span sent again (the merge step) replaces the record in the new column and clears the old one.
#[tokio::test]
async fn records_stored_as_jsonb_before_the_move_still_read_and_a_merge_moves_them() {
    let api = TestApi::new().await;
    let span = |output: &str| {
        json_span("6b8aa5a2d2c872e8321cf37308d69df2", "151581bf3cb55c13", None, "moved",
                  json!([{"key": "langfuse.observation.output", "value": {"stringValue": output}},
                         {"key": "http.route", "value": {"stringValue": "/chat"}}]))
    };
    export_json(&api, vec![span("first")]).await;
    let id = loupe_app::domain::ObservationId::new("151581bf3cb55c13");
    let read = || async { loupe_core::store::observations::otel_attributes(&api.pool, &api.project, &id).await.unwrap().expect("a record") };
    let (attributes, mapping) = read().await;
    assert_eq!(attributes["span"]["http.route"], "/chat");
    assert_eq!(mapping["span"]["langfuse.observation.output"], json!(["output", "trace.output"]));

    // As a row written before migration 20261211000001 holds it.
    let old = json!({"span": {"http.route": "/old", "langfuse.observation.output": "first"}, "resource": {}, "kind": 1,
                     "mapped": {"span": {"langfuse.observation.output": ["output"]}}});
    sqlx::query("UPDATE observations SET otel_record = NULL, otel_attributes = $2 WHERE project_id = $1 AND id = '151581bf3cb55c13'")
        .bind(&api.project_id)
        .bind(&old)
        .execute(&api.pool)
        .await
        .unwrap();
    let (attributes, mapping) = read().await;
    assert_eq!((attributes["span"]["http.route"].clone(), attributes.get("mapped")), (json!("/old"), None));
    assert_eq!(mapping["span"]["langfuse.observation.output"], json!(["output"]));

    // Sent again: merged, the new record in the new column only.
    export_json(&api, vec![span("second")]).await;
    let stored = observation(&api, "151581bf3cb55c13").await;
    assert_eq!((stored["output"].clone(), stored["otel_attributes"].clone()), (json!("second"), Value::Null));
    assert_eq!(read().await.0["span"]["http.route"], "/chat");

    // Bytes that are not a record read as no record (never a panic, never another row's).
    sqlx::query("UPDATE observations SET otel_record = '\\x02ff' WHERE project_id = $1 AND id = '151581bf3cb55c13'")
        .bind(&api.project_id)
        .execute(&api.pool)
        .await
        .unwrap();
    assert_eq!(loupe_core::store::observations::otel_attributes(&api.pool, &api.project, &id).await.unwrap(), None);
}

/// A span of trace `trace_id` as OTLP/JSON; `parent` makes it a child.
/// Issue #23: input and output read from an attribute as sent are stored once, as the row's
/// fields: the stored record holds null for them and names them, and the inspector's read puts
/// them back from the row — the JSON text re-serialized, plain text as it is — and says so. A span
/// sent again (the merge) replaces record and fields together, so the two still agree.
#[tokio::test]
async fn input_and_output_are_stored_once_and_the_inspector_reads_them_back_from_the_row() {
    let api = TestApi::new().await;
    let span = |output: &str| {
        json_span("7b8aa5a2d2c872e8321cf37308d69df2", "251581bf3cb55c13", None, "once",
                  json!([{"key": "langfuse.observation.input", "value": {"stringValue": "{\"q\": [1, 2], \"a\": \"é\"}"}},
                         {"key": "langfuse.observation.output", "value": {"stringValue": output}},
                         {"key": "http.route", "value": {"stringValue": "/chat"}}]))
    };
    export_json(&api, vec![span("plain words")]).await;
    let id = loupe_app::domain::ObservationId::new("251581bf3cb55c13");

    let bytes: Vec<u8> = sqlx::query_scalar("SELECT otel_record FROM observations WHERE project_id = $1 AND id = '251581bf3cb55c13'")
        .bind(&api.project_id)
        .fetch_one(&api.pool)
        .await
        .unwrap();
    let record = loupe_core::store::otel_record::decode(&bytes).expect("a record");
    assert_eq!((record["span"]["langfuse.observation.input"].clone(), record["span"]["langfuse.observation.output"].clone()), (Value::Null, Value::Null));
    assert_eq!(record["span"]["http.route"], "/chat");

    let (attributes, mapping) = loupe_core::store::observations::otel_attributes(&api.pool, &api.project, &id).await.unwrap().expect("a record");
    // Stored as `json` (migration 20261216000001): in the order sent, not `jsonb`'s (`a` before `q`).
    assert_eq!(attributes["span"]["langfuse.observation.input"], json!("{\"q\":[1,2],\"a\":\"é\"}"), "the stored input as JSON text, keys in the order sent");
    assert_eq!(attributes["span"]["langfuse.observation.output"], json!("plain words"), "plain text as it is");
    assert_eq!(mapping["span"]["langfuse.observation.input"], json!(["input", "trace.input"]));
    use loupe_app::domain::otel_inspector::rows;
    let rows = rows(&attributes, &mapping);
    let stored_as = |key: &str| rows.iter().find(|r| r.key == key).and_then(|r| r.stored_as.clone());
    assert_eq!((stored_as("langfuse.observation.input").as_deref(), stored_as("langfuse.observation.output").as_deref()), (Some("input"), Some("output")));
    assert_eq!(stored_as("http.route"), None);

    // Sent again with another output: merged by the statements, record and fields together.
    export_json(&api, vec![span("other words")]).await;
    let (attributes, _) = loupe_core::store::observations::otel_attributes(&api.pool, &api.project, &id).await.unwrap().expect("a record");
    assert_eq!(attributes["span"]["langfuse.observation.output"], json!("other words"));
    assert_eq!(observation(&api, "251581bf3cb55c13").await["output"], json!("other words"));
}

fn json_span(trace_id: &str, span_id: &str, parent: Option<&str>, name: &str, attributes: Value) -> Value {
    let mut span = json!({"traceId": trace_id, "spanId": span_id, "name": name, "attributes": attributes,
                          "startTimeUnixNano": "1795715850280000000", "endTimeUnixNano": "1795715850295000000"});
    if let Some(parent) = parent {
        span["parentSpanId"] = json!(parent);
    }
    span
}

async fn export_json(api: &TestApi, spans: Vec<Value>) {
    let body = json!({"resourceSpans": [{"scopeSpans": [{"scope": {"name": "langfuse-sdk"}, "spans": spans}]}]});
    let response = api.send(post(api, "application/json", None, body.to_string().into_bytes())).await;
    assert_eq!(response.status, StatusCode::OK, "{}", response.text());
}

/// Issue #14.1: `propagate_attributes(trace_name=…)` inside a nested `@observe` puts the trace
/// name on the child only; the root span's own name and I/O are defaults that never replace an
/// explicit trace attribute, whatever the order of arrival.
#[tokio::test]
async fn a_trace_name_set_on_a_child_wins_over_the_root_span_name_in_every_order() {
    let api = TestApi::new().await;
    let attr = |key: &str, value: &str| json!({"key": key, "value": {"stringValue": value}});
    let child = |trace_id: &str| {
        json_span(trace_id, "c000000000000001", Some("a000000000000001"), "child",
                  json!([attr("langfuse.trace.name", "wanted"), attr("langfuse.trace.output", "\"explicit out\"")]))
    };
    let root = |trace_id: &str| {
        json_span(trace_id, "a000000000000001", None, "root-span",
                  json!([attr("langfuse.observation.input", "\"root in\""), attr("langfuse.observation.output", "\"root out\"")]))
    };
    let orders: [(&str, Vec<Vec<Value>>); 4] = [
        ("11111111111111111111111111111111", vec![vec![child("11111111111111111111111111111111")], vec![root("11111111111111111111111111111111")]]),
        ("22222222222222222222222222222222", vec![vec![root("22222222222222222222222222222222")], vec![child("22222222222222222222222222222222")]]),
        ("33333333333333333333333333333333", vec![vec![child("33333333333333333333333333333333"), root("33333333333333333333333333333333")]]),
        ("44444444444444444444444444444444", vec![vec![root("44444444444444444444444444444444"), child("44444444444444444444444444444444")]]),
    ];
    for (trace_id, exports) in orders {
        for spans in exports {
            export_json(&api, spans).await;
        }
        let stored = trace(&api, trace_id).await;
        assert_eq!(stored["name"], "wanted", "{trace_id}");
        assert_eq!(stored["output"], "explicit out", "{trace_id}: the explicit output wins");
        assert_eq!(stored["input"], "root in", "{trace_id}: the root's input is the default");
    }

    // Without an explicit name the root span's name is the trace's, as before.
    export_json(&api, vec![json_span("55555555555555555555555555555555", "a000000000000005", None, "only-root", json!([]))]).await;
    assert_eq!(trace(&api, "55555555555555555555555555555555").await["name"], "only-root");
}

/// Issue #14.3: an empty generator makes the SDK send `langfuse.observation.output = ""`;
/// Langfuse reads it back as null.
#[tokio::test]
async fn empty_string_input_and_output_are_null() {
    let api = TestApi::new().await;
    let attr = |key: &str, value: &str| json!({"key": key, "value": {"stringValue": value}});
    export_json(&api, vec![json_span("66666666666666666666666666666666", "a000000000000006", None, "empty",
        json!([attr("langfuse.observation.input", "\"q\""), attr("langfuse.observation.output", ""), attr("langfuse.trace.output", "")]))]).await;
    let stored = observation(&api, "a000000000000006").await;
    assert_eq!(stored["input"], "q");
    assert_eq!(stored["output"], Value::Null);
    assert_eq!(trace(&api, "66666666666666666666666666666666").await["output"], Value::Null);
}

/// Issue #23: new OTel spans are written with one binary `COPY`; a batch in which any span exists
/// already goes through the statements (`INSERT … ON CONFLICT`, then the merge). Both must store
/// the same row. The same spans are sent under two trace ids: the first export is all new (the
/// `COPY`); of the second, one span is sent ahead, so the whole export meets a stored row and the
/// others are created by the statements. Every column but ids and times of writing must agree.
#[tokio::test]
async fn spans_written_by_copy_and_by_the_statements_are_stored_alike() {
    let api = TestApi::new().await;
    let spans = |trace: &str, prefix: &str| -> Vec<Value> {
        let id = |n: u8| format!("{prefix}{n:014}");
        let mut spans = vec![
            json_span(trace, &id(1), None, "root 根", json!([
                {"key": "langfuse.trace.name", "value": {"stringValue": "copy-or-statements"}},
                {"key": "langfuse.observation.input", "value": {"stringValue": "{\"question\": \"路由器怎么重启？\", \"n\": [1, 2.5, null]}"}},
                {"key": "langfuse.observation.output", "value": {"stringValue": "\"a plain string with \\\"quotes\\\" and \\\\ back\""}},
                {"key": "langfuse.observation.metadata.tenant", "value": {"stringValue": "\"acme\""}},
                {"key": "langfuse.observation.metadata.nested", "value": {"stringValue": "{\"a\": {\"b\": [true, false]}}"}},
                {"key": "langfuse.environment", "value": {"stringValue": "staging"}}])),
            json_span(trace, &id(2), Some(&id(1)), "llm", json!([
                {"key": "langfuse.observation.type", "value": {"stringValue": "generation"}},
                {"key": "langfuse.observation.model.name", "value": {"stringValue": "gpt-4o-mini-2024-07-18"}},
                {"key": "langfuse.observation.model.parameters", "value": {"stringValue": "{\"temperature\": 0.2}"}},
                {"key": "langfuse.observation.usage_details", "value": {"stringValue": "{\"input\": 412, \"output\": 96}"}},
                {"key": "langfuse.observation.cost_details", "value": {"stringValue": "{\"input\": 0.001}"}},
                {"key": "langfuse.observation.prompt.name", "value": {"stringValue": "support/answer"}},
                {"key": "langfuse.observation.prompt.version", "value": {"intValue": "3"}},
                {"key": "langfuse.observation.completion_start_time", "value": {"stringValue": "\"2026-11-26T17:57:30.300Z\""}}])),
            json_span(trace, &id(3), Some(&id(1)), "failed tool", json!([
                {"key": "langfuse.observation.type", "value": {"stringValue": "tool"}},
                {"key": "langfuse.observation.level", "value": {"stringValue": "ERROR"}},
                {"key": "langfuse.observation.status_message", "value": {"stringValue": "timeout after 30 s"}}])),
            json_span(trace, &id(4), Some(&id(1)), "ahead", json!([])),
        ];
        // Ends before it starts (clock skew between processes): stored clamped to the start.
        spans[2]["endTimeUnixNano"] = json!("1795715850270000000");
        spans
    };
    let (first, second) = ("1111111111111111aaaaaaaaaaaaaaaa", "2222222222222222bbbbbbbbbbbbbbbb");
    export_json(&api, spans(first, "a1")).await;
    // One span of the second trace ahead: the full export then meets a stored row.
    export_json(&api, spans(second, "b2").split_off(3)).await;
    export_json(&api, spans(second, "b2")).await;

    let rows = |trace: &'static str| {
        let pool = api.pool.clone();
        async move {
            let rows: Vec<(String, Value, bool)> = sqlx::query_as(
                "SELECT name, to_jsonb(o) - 'id' - 'trace_id' - 'parent_observation_id' - 'created_at' - 'updated_at' - 'otel_record',
                        otel_record IS NOT NULL
                 FROM observations o WHERE trace_id = $1 ORDER BY name",
            )
            .bind(trace)
            .fetch_all(&pool)
            .await
            .unwrap();
            rows
        }
    };
    let (copied, stated) = (rows(first).await, rows(second).await);
    assert_eq!(copied.len(), 4);
    assert_eq!(copied, stated);
    assert!(copied.iter().all(|(_, _, record)| *record), "every span keeps its OTel record");
    let llm = &copied.iter().find(|(name, ..)| name == "llm").unwrap().1;
    assert_eq!(llm["type"], "GENERATION");
    assert_eq!(llm["prompt_version"], 3);
    assert!(llm["total_cost"].as_f64().is_some(), "priced: {llm}");
    let tool = &copied.iter().find(|(name, ..)| name == "failed tool").unwrap().1;
    assert_eq!(tool["level"], "ERROR");
    assert_eq!(tool["end_time"], tool["start_time"], "an end before the start is clamped: {tool}");
    // The traces and their aggregates alike too: the second export's refused `COPY` aborted its
    // transaction, which was begun again and wrote the trace a second time.
    let trace = |trace: &'static str| {
        let pool = api.pool.clone();
        async move {
            let row: (Value, Value) = sqlx::query_as(
                "SELECT to_jsonb(t) - 'id' - 'created_at' - 'updated_at',
                        to_jsonb(m) - 'trace_id' - 'updated_at'
                 FROM traces t JOIN trace_metrics m ON m.project_id = t.project_id AND m.trace_id = t.id WHERE t.id = $1",
            )
            .bind(trace)
            .fetch_one(&pool)
            .await
            .unwrap();
            row
        }
    };
    let (mut copied, stated) = (trace(first).await, trace(second).await);
    // A trace's environment is its first stored value: the span sent ahead named none.
    assert_eq!((&copied.0["environment"], &stated.0["environment"]), (&json!("staging"), &json!("default")));
    copied.0["environment"] = json!("default");
    assert_eq!(copied, stated);
    assert_eq!(copied.0["name"], "copy-or-statements");
    assert_eq!(copied.1["observation_count"], 4, "{}", copied.1);
}

/// The OTLP route checks its key in the write's own transaction (issue #23), not with a probe
/// before it: a key revoked, or its project deleted, after its secret was verified (and cached)
/// stores nothing from its next export on and answers 401 — an empty export (no write) as well.
#[tokio::test]
async fn a_key_revoked_after_its_verification_was_cached_stores_no_span() {
    let api = TestApi::new().await;
    let export = |trace_id: &str| {
        let span = json_span(trace_id, "d000000000000001", None, "root", json!([]));
        json!({"resourceSpans": [{"scopeSpans": [{"scope": {"name": "langfuse-sdk"}, "spans": [span]}]}]}).to_string().into_bytes()
    };
    let spans_of = |trace_id: &'static str| {
        let pool = api.pool.clone();
        async move {
            sqlx::query_scalar::<_, i64>("SELECT count(*) FROM observations WHERE trace_id = $1").bind(trace_id).fetch_one(&pool).await.unwrap()
        }
    };
    let accepted = api.send(post(&api, "application/json", None, export("aa000000000000000000000000000001"))).await;
    assert_eq!(accepted.status, StatusCode::OK, "{}", accepted.text());
    assert_eq!(spans_of("aa000000000000000000000000000001").await, 1);

    sqlx::query("DELETE FROM api_keys WHERE public_key = 'pk-lf-a'").execute(&api.pool).await.unwrap();
    let refused = api.send(post(&api, "application/json", None, export("aa000000000000000000000000000002"))).await;
    assert_eq!(refused.status, StatusCode::UNAUTHORIZED, "{}", refused.text());
    assert!(refused.json()["message"].as_str().unwrap().starts_with("Invalid credentials"), "{}", refused.text());
    assert_eq!(spans_of("aa000000000000000000000000000002").await, 0, "a revoked key stores nothing");
    let empty = json!({"resourceSpans": []}).to_string().into_bytes();
    assert_eq!(api.send(post(&api, "application/json", None, empty)).await.status, StatusCode::UNAUTHORIZED, "nothing to write: probed");

    // A project deleted after its key was verified: the same.
    let other = api.with_project("proj-b", "pk-lf-b", "sk-lf-b").await;
    let accepted = other.send(post(&other, "application/json", None, export("bb000000000000000000000000000001"))).await;
    assert_eq!(accepted.status, StatusCode::OK, "{}", accepted.text());
    sqlx::query("UPDATE projects SET deleted_at = now() WHERE id = 'proj-b'").execute(&api.pool).await.unwrap();
    let refused = other.send(post(&other, "application/json", None, export("bb000000000000000000000000000002"))).await;
    assert_eq!(refused.status, StatusCode::UNAUTHORIZED, "{}", refused.text());
    assert_eq!(spans_of("bb000000000000000000000000000002").await, 0, "a deleted project stores nothing");
}
