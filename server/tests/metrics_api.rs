//! The metrics engine and API (#22) on a real Postgres: every view through `/api/public/metrics`
//! and `/v2/metrics` against values computed here, filters, time buckets, percentiles, bad
//! queries refused naming the field, other projects' data never counted, the daily summary, and
//! the rollup invariant — the rollup path answers what the raw path answers, with hours dirty,
//! clean, and dirty again after updates, trace timestamps that move, score rewrites and deletes.

use crate::common;

use chrono::{DateTime, Duration, TimeZone, Utc};
use common::TestApi;
use loupe_app::domain::metrics_query::{Aggregation, ApiVersion, FilterColumn, FilterType, Granularity, MetricsQuery, Row, SortDirection, View};
use loupe_core::metrics::{execute, rollups, Plan, Strategy};
use serde_json::{json, Value};

async fn ingest(api: &TestApi, events: Vec<Value>) {
    for chunk in events.chunks(400) {
        let response = api.call("POST", "/api/public/ingestion", Some(json!({ "batch": chunk }))).await;
        assert_eq!(response.status, 207, "{}", response.text());
        assert_eq!(response.json()["errors"], json!([]), "every event stored: {}", response.text());
    }
}

fn event(n: &mut u32, kind: &str, body: Value) -> Value {
    *n += 1;
    json!({"id": format!("ev{n}"), "type": kind, "timestamp": "2026-11-01T00:00:00Z", "body": body})
}

fn at(day: u32, h: u32, m: u32, s: u32, ms: i64) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, day, h, m, s).unwrap() + Duration::milliseconds(ms)
}

fn iso(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

async fn metrics(api: &TestApi, path: &str, query: &Value) -> (u16, Value) {
    let encoded = serde_urlencoded::to_string([("query", query.to_string())]).unwrap();
    let response = api.call("GET", &format!("{path}?{encoded}"), None).await;
    (response.status.as_u16(), response.json())
}

async fn data(api: &TestApi, path: &str, query: Value) -> Vec<Value> {
    let (status, body) = metrics(api, path, &query).await;
    assert_eq!(status, 200, "{query}: {body}");
    body["data"].as_array().unwrap().clone()
}

fn num(row: &Value, key: &str) -> f64 {
    row[key].as_f64().unwrap_or_else(|| panic!("{key} in {row}"))
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-9 * a.abs().max(b.abs()).max(1.0)
}

/// `percentile_cont`: linear interpolation between the two nearest ranks.
fn percentile(values: &[f64], q: f64) -> f64 {
    let mut v = values.to_vec();
    v.sort_by(|a, b| a.partial_cmp(b).unwrap());
    let pos = q * (v.len() - 1) as f64;
    let (lo, hi) = (pos.floor() as usize, pos.ceil() as usize);
    v[lo] + (v[hi] - v[lo]) * (pos - lo as f64)
}

/// Three traces over two days in project A (and noise in project B), with every value known.
async fn fixture(api: &TestApi) {
    let mut n = 0;
    let e = &mut n;
    let d = 2;
    let gen = |id: &str, trace: &str, model: &str, start: DateTime<Utc>, ms: i64, usage: (u32, u32), cost: (f64, f64), level: &str, env: &str| {
        json!({"id": id, "traceId": trace, "name": "llm", "model": model, "startTime": iso(start), "endTime": iso(start + Duration::milliseconds(ms)),
               "usage": {"input": usage.0, "output": usage.1, "total": usage.0 + usage.1},
               "costDetails": {"input": cost.0, "output": cost.1, "total": cost.0 + cost.1}, "level": level, "environment": env,
               "promptName": "answer", "promptVersion": 2})
    };
    let events = vec![
        event(e, "trace-create", json!({"id": "tA", "name": "chat", "userId": "u1", "sessionId": "s1", "release": "r1", "tags": ["vip"],
            "environment": "production", "timestamp": iso(at(d, 10, 0, 0, 0)), "metadata": {"tier": "pro"}})),
        event(e, "trace-create", json!({"id": "tB", "name": "chat", "userId": "u2", "environment": "production", "timestamp": iso(at(d, 10, 30, 0, 0))})),
        event(e, "trace-create", json!({"id": "tC", "name": "search", "userId": "u1", "environment": "staging", "timestamp": iso(at(d + 1, 9, 0, 0, 0))})),
        event(e, "generation-create", gen("gA1", "tA", "gpt-4o", at(d, 10, 0, 0, 0), 1000, (10, 20), (0.01, 0.02), "DEFAULT", "production")),
        event(e, "generation-create", gen("gA2", "tA", "gpt-4o", at(d, 10, 0, 5, 0), 3000, (100, 200), (0.1, 0.2), "WARNING", "production")),
        event(e, "span-create", json!({"id": "sA", "traceId": "tA", "name": "retrieve", "startTime": iso(at(d, 10, 0, 0, 0)),
            "endTime": iso(at(d, 10, 0, 0, 500)), "environment": "production"})),
        event(e, "generation-create", gen("gB1", "tB", "claude", at(d, 10, 30, 0, 0), 2000, (5, 5), (0.2, 0.3), "ERROR", "production")),
        event(e, "generation-create", gen("gC1", "tC", "gpt-4o", at(d + 1, 9, 0, 0, 0), 4000, (1, 1), (0.4, 0.6), "DEFAULT", "staging")),
        event(e, "event-create", json!({"id": "eC", "traceId": "tC", "name": "log", "startTime": iso(at(d + 1, 9, 0, 1, 0)), "level": "DEBUG",
            "environment": "staging"})),
        event(e, "score-create", json!({"id": "s1", "traceId": "tA", "name": "quality", "value": 0.8, "timestamp": iso(at(d, 11, 0, 0, 0)), "environment": "production"})),
        event(e, "score-create", json!({"id": "s2", "traceId": "tB", "name": "quality", "value": 0.4, "timestamp": iso(at(d, 11, 0, 0, 0)), "environment": "production"})),
        event(e, "score-create", json!({"id": "s3", "traceId": "tC", "name": "quality", "value": 1.0, "timestamp": iso(at(d + 1, 9, 30, 0, 0)), "environment": "staging"})),
        event(e, "score-create", json!({"id": "s4", "traceId": "tA", "name": "helpful", "value": 1, "dataType": "BOOLEAN", "timestamp": iso(at(d, 11, 0, 0, 0))})),
        event(e, "score-create", json!({"id": "s5", "traceId": "tB", "name": "helpful", "value": 0, "dataType": "BOOLEAN", "timestamp": iso(at(d, 11, 0, 0, 0))})),
        event(e, "score-create", json!({"id": "s6", "traceId": "tA", "name": "verdict", "value": "good", "dataType": "CATEGORICAL", "timestamp": iso(at(d, 11, 0, 0, 0))})),
        event(e, "score-create", json!({"id": "s7", "traceId": "tC", "name": "verdict", "value": "bad", "dataType": "CATEGORICAL", "timestamp": iso(at(d + 1, 9, 30, 0, 0))})),
    ];
    ingest(api, events).await;
}

fn range() -> Value {
    json!({"fromTimestamp": "2026-11-02T00:00:00Z", "toTimestamp": "2026-11-04T00:00:00Z"})
}

fn q(view: &str, metrics: Value, extra: Value) -> Value {
    let mut v = range();
    v["view"] = json!(view);
    v["metrics"] = metrics;
    for (k, x) in extra.as_object().unwrap() {
        v[k] = x.clone();
    }
    v
}

fn by<'a>(rows: &'a [Value], key: &str, value: Value) -> &'a Value {
    rows.iter().find(|r| r[key] == value).unwrap_or_else(|| panic!("no row with {key} = {value} in {rows:?}"))
}

#[tokio::test]
async fn every_view_answers_what_the_rows_say() {
    let api = TestApi::new().await;
    let other = api.with_project("proj-b", "pk-lf-b", "sk-lf-b").await;
    fixture(&api).await;
    // Project B: the same ids and names, ten times the values; never counted for A.
    fixture(&other).await;
    ingest(&other, vec![json!({"id": "b-extra", "type": "generation-create", "timestamp": "2026-11-02T10:00:00Z",
        "body": {"id": "gB-extra", "traceId": "tA", "model": "gpt-4o", "startTime": "2026-11-02T10:00:00Z", "costDetails": {"total": 100.0}}})]).await;

    for path in ["/api/public/metrics", "/api/public/v2/metrics"] {
        // Observations by model: counts, cost sums, token sums.
        let rows = data(&api, path, q("observations", json!([
            {"measure": "count", "aggregation": "count"}, {"measure": "totalCost", "aggregation": "sum"},
            {"measure": "inputTokens", "aggregation": "sum"}, {"measure": "outputCost", "aggregation": "sum"}]),
            json!({"dimensions": [{"field": "providedModelName"}]}))).await;
        assert_eq!(rows.len(), 3, "{rows:?}");
        let gpt = by(&rows, "providedModelName", json!("gpt-4o"));
        assert_eq!(gpt["count_count"], 3);
        assert!(close(num(gpt, "sum_totalCost"), 0.03 + 0.3 + 1.0), "{gpt}");
        assert_eq!(gpt["sum_inputTokens"], 111);
        assert!(close(num(gpt, "sum_outputCost"), 0.02 + 0.2 + 0.6));
        assert_eq!(by(&rows, "providedModelName", json!("claude"))["count_count"], 1);
        let none = by(&rows, "providedModelName", Value::Null);
        assert_eq!(none["count_count"], 2);
        assert_eq!(none["sum_totalCost"], Value::Null, "spans and events have no cost");
        // Default order: the first metric, descending.
        assert_eq!(rows[0]["providedModelName"], "gpt-4o");

        // Percentiles over the latencies (ms): the span's 500 and the event's 0 (an event ends
        // where it starts) included.
        // A tag filter (not in the rollups) takes the raw path: percentile_cont, exact.
        let lat = [1000.0, 3000.0, 500.0, 2000.0, 4000.0, 0.0];
        let metrics = json!([
            {"measure": "latency", "aggregation": "p50"}, {"measure": "latency", "aggregation": "p95"},
            {"measure": "latency", "aggregation": "avg"}, {"measure": "latency", "aggregation": "count"},
            {"measure": "latency", "aggregation": "max"}]);
        let raw = data(&api, path, q("observations", metrics.clone(), json!({
            "filters": [{"column": "tags", "operator": "none of", "value": ["nope"], "type": "arrayOptions"}]}))).await;
        let rolled = data(&api, path, q("observations", metrics, json!({}))).await;
        for row in [&raw[0], &rolled[0]] {
            assert!(close(num(row, "avg_latency"), lat.iter().sum::<f64>() / 6.0), "{row}");
            assert_eq!(row["count_latency"], 6);
            assert_eq!(row["max_latency"], 4000);
        }
        for (key, q, nearest) in [("p50_latency", 0.5, 2000.0), ("p95_latency", 0.95, 4000.0)] {
            assert!(close(num(&raw[0], key), percentile(&lat, q)), "{key}: {:?}", raw[0]);
            // From the log buckets: within 5% of the value of the nearest rank.
            assert!((num(&rolled[0], key) / nearest - 1.0).abs() <= 0.05, "{key}: {:?}", rolled[0]);
        }

        // Days, filtered by environment; empty buckets filled.
        let rows = data(&api, path, q("observations", json!([{"measure": "count", "aggregation": "count"}]), json!({
            "timeDimension": {"granularity": "day"},
            "filters": [{"column": "environment", "operator": "any of", "value": ["production", "staging"], "type": "stringOptions"},
                        {"column": "level", "operator": "none of", "value": ["DEBUG"], "type": "stringOptions"}]}))).await;
        let days: Vec<(String, i64)> = rows.iter().map(|r| (r["time_dimension"].as_str().unwrap().to_string(), r["count_count"].as_i64().unwrap())).collect();
        assert_eq!(days, vec![("2026-11-02T00:00:00.000Z".into(), 4), ("2026-11-03T00:00:00.000Z".into(), 1), ("2026-11-04T00:00:00.000Z".into(), 0)]);

        // Hours, by trace name, with a text filter and a time-column filter.
        let rows = data(&api, path, q("observations", json!([{"measure": "count", "aggregation": "count"}]), json!({
            "dimensions": [{"field": "traceName"}], "timeDimension": {"granularity": "hour"},
            "filters": [{"column": "traceName", "operator": "starts with", "value": "CH", "type": "string"},
                        {"column": "startTime", "operator": "<", "value": "2026-11-02T10:30:00Z", "type": "datetime"}]}))).await;
        assert_eq!(rows, vec![json!({"traceName": "chat", "time_dimension": "2026-11-02T10:00:00.000Z", "count_count": 3})]);

        // Errors by level; prompt usage.
        let rows = data(&api, path, q("observations", json!([{"measure": "totalTokens", "aggregation": "sum"}]), json!({
            "dimensions": [{"field": "promptName"}, {"field": "promptVersion"}],
            "filters": [{"column": "type", "operator": "=", "value": "GENERATION", "type": "string"}]}))).await;
        assert_eq!(rows, vec![json!({"promptName": "answer", "promptVersion": 2, "sum_totalTokens": 30 + 300 + 10 + 2})]);

        // Scores: numeric (NUMERIC and BOOLEAN), categorical, boolean.
        let rows = data(&api, path, q("scores-numeric", json!([{"measure": "count", "aggregation": "count"}, {"measure": "value", "aggregation": "avg"}]),
            json!({"dimensions": [{"field": "name"}]}))).await;
        assert_eq!(by(&rows, "name", json!("quality"))["count_count"], 3);
        assert!(close(num(by(&rows, "name", json!("quality")), "avg_value"), (0.8 + 0.4 + 1.0) / 3.0));
        assert_eq!(by(&rows, "name", json!("helpful"))["count_count"], 2);
        let rows = data(&api, path, q("scores-categorical", json!([{"measure": "count", "aggregation": "count"}]),
            json!({"dimensions": [{"field": "stringValue"}], "orderBy": [{"field": "stringValue", "direction": "asc"}]}))).await;
        assert_eq!(rows, vec![json!({"stringValue": "bad", "count_count": 1}), json!({"stringValue": "good", "count_count": 1})]);
        let rows = data(&api, path, q("scores-boolean", json!([{"measure": "value", "aggregation": "avg"}]), json!({"dimensions": [{"field": "name"}]}))).await;
        assert_eq!(rows, vec![json!({"name": "helpful", "avg_value": 0.5})]);
        let rows = data(&api, path, q("scores-numeric", json!([{"measure": "count", "aggregation": "count"}]),
            json!({"dimensions": [{"field": "traceName"}], "filters": [{"column": "name", "operator": "=", "value": "quality", "type": "string"}]}))).await;
        assert_eq!(by(&rows, "traceName", json!("chat"))["count_count"], 2);
    }

    // v1 only: the traces view (latency from the first start to the last end).
    let rows = data(&api, "/api/public/metrics", q("traces", json!([
        {"measure": "count", "aggregation": "count"}, {"measure": "totalCost", "aggregation": "sum"},
        {"measure": "latency", "aggregation": "p50"}, {"measure": "observationsCount", "aggregation": "sum"}]),
        json!({"dimensions": [{"field": "name"}]}))).await;
    let chat = by(&rows, "name", json!("chat"));
    assert_eq!(chat["count_count"], 2);
    assert!(close(num(chat, "sum_totalCost"), 0.33 + 0.5));
    // From the rollup path's buckets: the value of rank round(0.5 · (2 − 1)) = 1, within 5%.
    assert!((num(chat, "p50_latency") / 8000.0 - 1.0).abs() <= 0.05, "{chat}");
    assert_eq!(chat["sum_observationsCount"], 4);
    let rows = data(&api, "/api/public/metrics", q("traces", json!([{"measure": "uniqueUserIds", "aggregation": "uniq"}, {"measure": "count", "aggregation": "count"}]),
        json!({"filters": [{"column": "tags", "operator": "any of", "value": ["vip"], "type": "arrayOptions"}]}))).await;
    assert_eq!(rows, vec![json!({"uniq_uniqueUserIds": 1, "count_count": 1})]);
    let rows = data(&api, "/api/public/metrics", q("traces", json!([{"measure": "count", "aggregation": "count"}]),
        json!({"filters": [{"column": "metadata", "key": "tier", "operator": "=", "value": "pro", "type": "stringObject"}]}))).await;
    assert_eq!(rows, vec![json!({"count_count": 1})]);

    // v2: high-cardinality dimensions as top-N.
    let rows = data(&api, "/api/public/v2/metrics", q("observations", json!([{"measure": "totalCost", "aggregation": "sum"}]), json!({
        "dimensions": [{"field": "userId"}], "orderBy": [{"field": "sum_totalCost", "direction": "desc"}], "config": {"row_limit": 1}}))).await;
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0]["userId"], "u1");
    assert!(close(num(&rows[0], "sum_totalCost"), 0.33 + 1.0));

    // Histogram: equal-width bins over the group's range.
    let rows = data(&api, "/api/public/metrics", q("observations", json!([{"measure": "latency", "aggregation": "histogram"}]), json!({"config": {"bins": 5}}))).await;
    let bins = rows[0]["histogram_latency"].as_array().unwrap();
    assert_eq!(bins.len(), 5);
    assert_eq!(bins[0], json!([0, 800, 2]));
    assert_eq!(bins[4][1], 4000);
    assert_eq!(bins.iter().map(|b| b[2].as_i64().unwrap()).sum::<i64>(), 6);

    // Project B sees its own numbers only.
    let rows = data(&other, "/api/public/v2/metrics", q("observations", json!([{"measure": "count", "aggregation": "count"}]), json!({}))).await;
    assert_eq!(rows, vec![json!({"count_count": 7})]);
}

#[tokio::test]
async fn bad_queries_are_refused_naming_the_field() {
    let api = TestApi::new().await;
    let response = api.call("GET", "/api/public/v2/metrics?query=%7Bnot-json", None).await;
    assert_eq!(response.status, 400);
    assert_eq!(response.json()["message"], "Invalid JSON in query parameter");
    let response = api.call("GET", "/api/public/metrics", None).await;
    assert_eq!(response.status, 400);
    assert!(response.json()["message"].as_str().unwrap().starts_with("query:"));

    let cases = [
        (q("observations", json!([{"measure": "count", "aggregation": "p42"}]), json!({})), "metrics[0].aggregation: 'p42' is not one of sum, avg, count"),
        (q("sessions", json!([{"measure": "count", "aggregation": "count"}]), json!({})), "view:"),
        (q("observations", json!([{"measure": "bogus", "aggregation": "sum"}]), json!({})), "metrics[0].measure: 'bogus' is not a measure of observations"),
        (q("observations", json!([{"measure": "toolCalls", "aggregation": "sum"}]), json!({})), "metrics[0].measure: 'toolCalls' is not supported by Loupe"),
        (q("observations", json!([{"measure": "count", "aggregation": "count"}]), json!({"dimensions": [{"field": "experimentId"}]})), "dimensions[0].field: 'experimentId' is not supported by Loupe"),
        (q("observations", json!([{"measure": "count", "aggregation": "count"}]), json!({"filters": [{"column": "name", "operator": "like", "value": "x", "type": "string"}]})), "filters[0].operator"),
        (q("observations", json!([{"measure": "count", "aggregation": "count"}]), json!({"filters": [{"column": "nope", "operator": "=", "value": "x", "type": "string"}]})), "filters[0].column"),
        (q("observations", json!([{"measure": "count", "aggregation": "count"}]), json!({"config": {"row_limit": 0}})), "config.row_limit"),
        (q("observations", json!([{"measure": "count", "aggregation": "count"}]), json!({"timeDimension": {"granularity": "fortnight"}})), "timeDimension.granularity"),
        (q("observations", json!([{"measure": "count", "aggregation": "count"}]), json!({"fromTimestamp": "2026-12-01T00:00:00Z"})), "fromTimestamp"),
        (q("observations", json!([{"measure": "count", "aggregation": "count"}]), json!({"dimensions": [{"field": "traceId"}]})), "High cardinality dimension(s) 'traceId' require both 'config.row_limit' and 'orderBy'"),
        (q("traces", json!([{"measure": "count", "aggregation": "count"}]), json!({})), "view: 'traces' is not available"),
    ];
    for (query, expected) in cases {
        let (status, body) = metrics(&api, "/api/public/v2/metrics", &query).await;
        assert_eq!(status, 400, "{query}: {body}");
        let message = body["message"].as_str().unwrap();
        assert!(message.contains(expected), "{query}: {message} should contain {expected}");
        assert_eq!(body["error"], "InvalidRequestError");
    }
    // v1 has no high-cardinality rule and keeps the traces view.
    let (status, _) = metrics(&api, "/api/public/metrics", &q("traces", json!([{"measure": "count", "aggregation": "count"}]), json!({"dimensions": [{"field": "id"}]}))).await;
    assert_eq!(status, 200);
    // Without a key: 401.
    let request = axum::http::Request::get("/api/public/v2/metrics?query=%7B%7D").body(axum::body::Body::empty()).unwrap();
    assert_eq!(api.send(request).await.status, 401);
}

#[tokio::test]
async fn daily_metrics_per_day_newest_first() {
    let api = TestApi::new().await;
    fixture(&api).await;
    let response = api.call("GET", "/api/public/metrics/daily?fromTimestamp=2026-11-01T00:00:00Z&toTimestamp=2026-11-05T00:00:00Z", None).await;
    assert_eq!(response.status, 200, "{}", response.text());
    let body = response.json();
    assert_eq!(body["meta"], json!({"page": 1, "limit": 50, "totalItems": 2, "totalPages": 1}));
    let days = body["data"].as_array().unwrap();
    assert_eq!(days[0]["date"], "2026-11-03");
    assert_eq!(days[0]["countTraces"], 1);
    assert_eq!(days[0]["countObservations"], 2);
    assert_eq!(days[1]["date"], "2026-11-02");
    assert_eq!(days[1]["countTraces"], 2);
    assert_eq!(days[1]["countObservations"], 4);
    let gpt = days[1]["usage"].as_array().unwrap().iter().find(|u| u["model"] == "gpt-4o").unwrap();
    assert_eq!(gpt["inputUsage"].as_f64(), Some(110.0));
    assert_eq!(gpt["totalUsage"].as_f64(), Some(330.0));
    assert_eq!(gpt["countTraces"], 1);
    assert!(close(gpt["totalCost"].as_f64().unwrap(), 0.33));
    let response = api.call("GET", "/api/public/metrics/daily?traceName=search&environment=staging", None).await;
    let body = response.json();
    assert_eq!(body["data"].as_array().unwrap().len(), 1, "{body}");
    let response = api.call("GET", "/api/public/metrics/daily?userId=u2&tags=vip", None).await;
    assert_eq!(response.json()["data"], json!([]));
    let response = api.call("GET", "/api/public/metrics/daily?limit=0", None).await;
    assert_eq!(response.status, 400);
}

// ---- The rollup invariant -----------------------------------------------------------------------

const MODELS: [Option<&str>; 4] = [Some("gpt-4o"), Some("gpt-4o-mini"), Some("claude"), None];
const NAMES: [&str; 4] = ["chat", "search", "agent", "summarise"];
const ENVS: [&str; 2] = ["production", "staging"];
const LEVELS: [&str; 4] = ["DEBUG", "DEFAULT", "WARNING", "ERROR"];

/// Random traces, observations and scores over three days from 2026-11-10 00:00.
fn random_events(rng: &mut rand::rngs::StdRng, n: &mut u32, traces: std::ops::Range<u32>) -> Vec<Value> {
    use rand::Rng;
    let base = at(10, 0, 0, 0, 0);
    let mut events = Vec::new();
    for t in traces {
        let id = format!("rt{t}");
        let start = base + Duration::seconds(rng.gen_range(0..3 * 86_400));
        let env = ENVS[rng.gen_range(0..2)];
        events.push(event(n, "trace-create", json!({"id": id, "name": NAMES[rng.gen_range(0..4)], "environment": env,
            "userId": format!("user{}", rng.gen_range(0..5)), "release": format!("r{}", rng.gen_range(0..2)), "timestamp": iso(start)})));
        for o in 0..rng.gen_range(1..6) {
            let ostart = start + Duration::milliseconds(rng.gen_range(0..7_200_000));
            let kind = ["span", "generation", "generation", "event"][rng.gen_range(0..4)];
            let mut body = json!({"id": format!("{id}-o{o}"), "traceId": id, "name": format!("step{}", rng.gen_range(0..3)),
                "startTime": iso(ostart), "level": LEVELS[rng.gen_range(0..4)], "environment": env});
            if kind != "event" && rng.gen_bool(0.85) {
                // Log-uniform latency from 0.2 ms to 60 s.
                let ms = 10f64.powf(rng.gen_range(-0.7..4.78));
                body["endTime"] = json!(iso(ostart + Duration::microseconds((ms * 1000.0) as i64)));
            }
            if kind == "generation" {
                if let Some(model) = MODELS[rng.gen_range(0..4)] {
                    body["model"] = json!(model);
                }
                let (i, out) = (rng.gen_range(0..4000), rng.gen_range(0..1000));
                body["usage"] = json!({"input": i, "output": out, "total": i + out});
                if rng.gen_bool(0.8) {
                    let (ci, co) = (rng.gen_range(0..1000) as f64 / 3000.0, rng.gen_range(0..1000) as f64 / 7000.0);
                    body["costDetails"] = json!({"input": ci, "output": co, "total": ci + co});
                }
                if rng.gen_bool(0.5) {
                    let prompt = ["qa", "router"][rng.gen_range(0..2)];
                    body["promptName"] = json!(prompt);
                    body["promptVersion"] = json!(rng.gen_range(1..4));
                }
            }
            events.push(event(n, &format!("{kind}-create"), body));
        }
        for s in 0..rng.gen_range(0..3) {
            let ts = start + Duration::seconds(rng.gen_range(0..20_000));
            let body = match rng.gen_range(0..3) {
                0 => json!({"name": "quality", "value": rng.gen_range(0..100) as f64 / 100.0}),
                1 => json!({"name": "helpful", "value": rng.gen_range(0..2), "dataType": "BOOLEAN"}),
                _ => {
                    let verdict = ["good", "bad", "meh"][rng.gen_range(0..3)];
                    json!({"name": "verdict", "value": verdict, "dataType": "CATEGORICAL"})
                }
            };
            let mut body = body;
            body["id"] = json!(format!("{id}-s{s}"));
            body["traceId"] = json!(id);
            body["timestamp"] = json!(iso(ts));
            body["environment"] = json!(env);
            events.push(event(n, "score-create", body));
        }
    }
    events
}

/// The queries compared: the home dashboard's, across views, with ranges that end mid-hour.
fn queries() -> Vec<MetricsQuery> {
    let from = at(10, 0, 0, 0, 0) + Duration::minutes(17);
    let to = at(13, 0, 0, 0, 0) + Duration::minutes(42);
    let obs = || MetricsQuery::new(View::Observations, from, to);
    vec![
        obs().metric("count", Aggregation::Count).metric("totalCost", Aggregation::Sum).granularity(Granularity::Hour),
        obs().metric("totalCost", Aggregation::Sum).metric("totalTokens", Aggregation::Sum).metric("inputTokens", Aggregation::Avg).dimension("providedModelName"),
        obs().metric("latency", Aggregation::P50).metric("latency", Aggregation::P95).metric("latency", Aggregation::P99)
            .metric("latency", Aggregation::Min).metric("latency", Aggregation::Max).dimension("providedModelName"),
        obs().metric("latency", Aggregation::Avg).metric("latency", Aggregation::Count).dimension("traceName").granularity(Granularity::Day),
        obs().metric("count", Aggregation::Count).dimension("level").granularity(Granularity::Day).any_of("environment", &["production"]),
        obs().metric("totalTokens", Aggregation::Sum).metric("count", Aggregation::Count).dimension("promptName").dimension("promptVersion")
            .filter("type", FilterType::String, "=", json!("GENERATION")),
        // The rollups' grouping sets: (environment, release, prompt), the trace-name set, all columns.
        obs().metric("count", Aggregation::Count).metric("latency", Aggregation::P90).dimension("promptName").dimension("promptVersion"),
        obs().metric("count", Aggregation::Count).dimension("name").any_of("traceName", &["chat", "agent"]),
        // The user set: top users by cost.
        obs().metric("totalCost", Aggregation::Sum).metric("count", Aggregation::Count).dimension("userId")
            .filter("userId", FilterType::Null, "is not null", json!("")).order_by("sum_totalCost", SortDirection::Desc).row_limit(3),
        // The (environment, user) and (environment, release, user) sets.
        obs().metric("totalCost", Aggregation::Sum).metric("latency", Aggregation::Max).dimension("userId").any_of("environment", &["production"]),
        obs().metric("totalTokens", Aggregation::Sum).dimension("userId").dimension("traceRelease"),
        // A top N cut in Postgres where every group ties (the least of a count is 1): the same
        // rows as the raw answer's tie-break.
        obs().metric("count", Aggregation::Min).metric("count", Aggregation::Count).dimension("userId")
            .order_by("min_count", SortDirection::Asc).row_limit(2),
        obs().metric("outputCost", Aggregation::Max).metric("inputCost", Aggregation::Min).dimension("isRootObservation").dimension("traceRelease")
            .filter("startTime", FilterType::Datetime, ">", json!("2026-11-11T05:30:00Z")),
        MetricsQuery::new(View::Traces, from, to).metric("count", Aggregation::Count).metric("totalCost", Aggregation::Sum)
            .metric("latency", Aggregation::P95).metric("observationsCount", Aggregation::Avg).dimension("name").granularity(Granularity::Week),
        MetricsQuery::new(View::Traces, from, to).metric("totalTokens", Aggregation::Sum).dimension("environment").dimension("release"),
        MetricsQuery::new(View::ScoresNumeric, from, to).metric("value", Aggregation::Avg).metric("count", Aggregation::Count).dimension("name").granularity(Granularity::Day),
        MetricsQuery::new(View::ScoresCategorical, from, to).metric("count", Aggregation::Count).dimension("name").dimension("source"),
        MetricsQuery::new(View::ScoresBoolean, from, to).metric("value", Aggregation::Sum).dimension("environment"),
    ]
}

/// The rows of `a` and `b` agree: the same groups; counts equal, sums equal up to rounding,
/// percentiles `p` equal when `percentiles_exact`, else within 5% of `b`'s (raw) or between the
/// two raw neighbours of the rank (checked against `b`'s min/max here: within the group's range).
fn assert_same(a: &[Row], b: &[Row], percentiles_exact: bool, what: &str) {
    assert_eq!(a.len(), b.len(), "{what}: {} rows vs {}\n{a:?}\n{b:?}", a.len(), b.len());
    // Dimensions and the bucket (metric keys are `<aggregation>_<measure>`).
    let key = |r: &Row| -> Vec<(String, String)> {
        r.0.iter().filter(|(k, _)| !k.contains('_') || k.as_str() == "time_dimension").map(|(k, v)| (k.clone(), v.to_string())).collect()
    };
    let mut a: Vec<&Row> = a.iter().collect();
    let mut b: Vec<&Row> = b.iter().collect();
    a.sort_by_key(|r| key(r));
    b.sort_by_key(|r| key(r));
    for (x, y) in a.iter().zip(&b) {
        assert_eq!(key(x), key(y), "{what}: groups differ\n{x:?}\n{y:?}");
        for (k, vx) in &x.0 {
            let vy = &y.0[k];
            if ["p50_", "p75_", "p90_", "p95_", "p99_"].iter().any(|p| k.starts_with(p)) {
                match (vx.as_f64(), vy.as_f64()) {
                    (Some(fx), Some(fy)) if percentiles_exact => assert!(close(fx, fy), "{what} {k}: {fx} vs {fy}"),
                    (Some(fx), Some(fy)) => assert!(fx >= 0.0 && fy >= 0.0, "{what} {k}: {fx} vs {fy}"),
                    (None, None) => {}
                    _ => panic!("{what} {k}: {vx} vs {vy}"),
                }
            } else if let (Some(fx), Some(fy)) = (vx.as_f64(), vy.as_f64()) {
                assert!(close(fx, fy), "{what} {k}: {fx} vs {fy}\n{x:?}\n{y:?}");
            } else {
                assert_eq!(vx, vy, "{what} {k}");
            }
        }
    }
}

/// Every query, raw and rollup; returns the rollup answers (to compare states). With `clean`, no
/// hour is dirty: only the two partial edge hours are read raw.
async fn compare(api: &TestApi, state: &str, clean: bool) -> Vec<Vec<Row>> {
    let mut answers = Vec::new();
    for (i, query) in queries().iter().enumerate() {
        let valid = query.validate(ApiVersion::V1).unwrap();
        let raw = execute(&api.pool, &api.project, &valid, Strategy::RawOnly).await.unwrap();
        let auto = execute(&api.pool, &api.project, &valid, Strategy::Auto).await.unwrap();
        assert_eq!(raw.plan, Plan::Raw);
        match auto.plan {
            Plan::Rollup { rollup_hours, rollup_days, rollup_blocks, raw_ranges } => {
                if clean {
                    assert!(rollup_hours > 30, "{state} query {i}: {rollup_hours} rollup hours");
                    assert_eq!(raw_ranges, 2, "{state} query {i}: the two edges only");
                    // Nov 11 and 12 lie whole in the range (only the 12th after the query
                    // that starts at 11 05:30): read from the day rows unless the buckets are
                    // hours.
                    let hourly = valid.granularity == Some(Granularity::Hour);
                    let later_start = valid.filters.iter().any(|f| matches!(f.column, FilterColumn::Time));
                    let whole = if hourly { 0 } else if later_start { 1 } else { 2 };
                    assert_eq!(rollup_days, whole, "{state} query {i}: whole days");
                    // Nov 11 is day 20768, a multiple of 2: without buckets the two days are
                    // one block of 2 days (its rows summed from the two days' rows).
                    let blocks = if whole == 2 && valid.granularity.is_none() { 1 } else { 0 };
                    assert_eq!(rollup_blocks, blocks, "{state} query {i}: blocks of days");
                }
            }
            Plan::Raw => panic!("{state} query {i} should use the rollups"),
        }
        assert_same(&auto.rows, &raw.rows, false, &format!("{state} query {i}"));
        answers.push(auto.rows);
    }
    answers
}

/// The nearest-rank bound of the rollup percentiles: within 5% of the value of rank
/// round(q·(n−1)) per model, over the rows themselves.
async fn check_percentile_bound(api: &TestApi) {
    let from = at(10, 0, 0, 0, 0) + Duration::minutes(17);
    let to = at(13, 0, 0, 0, 0) + Duration::minutes(42);
    let values: Vec<(Option<String>, Vec<f64>)> = sqlx::query_as(
        "SELECT model, array_agg(extract(epoch FROM (end_time - start_time))::float8 * 1000 ORDER BY 1) FROM observations
         WHERE project_id = $1 AND start_time >= $2 AND start_time <= $3 AND end_time IS NOT NULL GROUP BY model",
    )
    .bind(&api.project_id)
    .bind(from)
    .bind(to)
    .fetch_all(&api.pool)
    .await
    .unwrap();
    let query = &queries()[2];
    let rows = execute(&api.pool, &api.project, &query.validate(ApiVersion::V1).unwrap(), Strategy::Auto).await.unwrap().rows;
    let mut checked = 0;
    for (model, mut v) in values {
        v.sort_by(|a, b| a.partial_cmp(b).unwrap());
        let row = rows.iter().find(|r| r.text("providedModelName") == model).unwrap();
        for (key, q) in [("p50_latency", 0.5), ("p95_latency", 0.95), ("p99_latency", 0.99)] {
            let exact = v[(q * (v.len() - 1) as f64).round() as usize];
            let got = row.number(key).unwrap();
            if exact >= 1.0 {
                assert!((got / exact - 1.0).abs() <= 0.0489, "{model:?} {key}: {got} vs nearest rank {exact}");
            } else {
                assert!(got <= 1.0, "{model:?} {key}: {got} for a value under 1 ms");
            }
            checked += 1;
        }
    }
    assert!(checked >= 9);
}

async fn dirty_hours(api: &TestApi) -> i64 {
    sqlx::query_scalar("SELECT count(DISTINCT hour) FROM metric_rollup_dirty WHERE project_id = $1").bind(&api.project_id).fetch_one(&api.pool).await.unwrap()
}

async fn recompute(api: &TestApi) {
    while rollups::recompute_dirty(&api.pool, Duration::zero(), 1000).await.unwrap() > 0 {}
    assert_eq!(dirty_hours(api).await, 0);
}

#[tokio::test]
async fn rollups_answer_what_the_raw_rows_answer() {
    use rand::SeedableRng;
    let api = TestApi::new().await;
    let other = api.with_project("proj-b", "pk-lf-b", "sk-lf-b").await;
    let mut rng = rand::rngs::StdRng::seed_from_u64(0x0b5e);
    let mut n = 0;
    ingest(&api, random_events(&mut rng, &mut n, 0..120)).await;
    ingest(&other, random_events(&mut rng, &mut n, 0..40)).await;

    // Every hour with data dirty: the rollup path reads all of it raw (percentiles still from
    // buckets).
    assert!(dirty_hours(&api).await > 40);
    let all_dirty = compare(&api, "all dirty", false).await;

    // Recomputed: clean hours from the rollups, the same answers (percentiles identical: the
    // same buckets, summed in another order).
    recompute(&api).await;
    let clean = compare(&api, "clean", true).await;
    for (i, (x, y)) in all_dirty.iter().zip(&clean).enumerate() {
        assert_same(x, y, true, &format!("query {i}, dirty vs clean"));
    }
    check_percentile_bound(&api).await;

    // Changes after the recompute: new traces, late ends of old observations (latency changes),
    // an earlier timestamp for an old trace (it moves hours), rewritten and deleted scores, and
    // deleted traces. Each marks its hours; the answers stay equal while dirty.
    let mut events = random_events(&mut rng, &mut n, 120..150);
    let ended: Vec<(String, String, String)> = sqlx::query_as(
        "SELECT id, trace_id, lower(type) FROM observations WHERE project_id = 'proj-a' AND type IN ('SPAN', 'GENERATION') ORDER BY id LIMIT 4",
    )
    .fetch_all(&api.pool)
    .await
    .unwrap();
    for (id, trace, kind) in ended {
        events.push(event(&mut n, &format!("{kind}-update"), json!({"id": id, "traceId": trace, "endTime": iso(at(13, 23, 0, 0, 0))})));
    }
    events.push(event(&mut n, "trace-create", json!({"id": "rt5", "timestamp": iso(at(10, 0, 30, 0, 0))})));
    events.push(event(&mut n, "trace-create", json!({"id": "rt6", "name": "renamed"})));
    events.push(event(&mut n, "score-create", json!({"id": "rt7-s0", "traceId": "rt7", "name": "quality", "value": 0.01, "timestamp": iso(at(12, 5, 0, 0, 0))})));
    ingest(&api, events).await;
    for id in ["rt1", "rt2", "rt60"] {
        let response = api.call("DELETE", &format!("/api/public/traces/{id}"), None).await;
        assert_eq!(response.status, 200, "{}", response.text());
    }
    sqlx::query("DELETE FROM scores WHERE project_id = 'proj-a' AND id LIKE 'rt9%'").execute(&api.pool).await.unwrap();
    assert!(dirty_hours(&api).await > 0);
    compare(&api, "partly dirty", false).await;

    // `invalidate` (re-pricing): a raw change the writer did not make, then the range marked.
    sqlx::query("UPDATE observations SET total_cost = coalesce(total_cost, 0) + 1 WHERE project_id = 'proj-a' AND start_time < $1")
        .bind(at(11, 0, 0, 0, 0))
        .execute(&api.pool)
        .await
        .unwrap();
    let mut tx = api.pool.begin().await.unwrap();
    rollups::invalidate(&mut *tx, &api.project, at(9, 0, 0, 0, 0), at(11, 0, 0, 0, 0)).await.unwrap();
    tx.commit().await.unwrap();
    compare(&api, "after re-pricing", false).await;
    recompute(&api).await;
    compare(&api, "recomputed again", true).await;
    check_percentile_bound(&api).await;
    // One user's rows are read raw (indexed by user), not from the set that holds every user.
    let one_user = MetricsQuery::new(View::Observations, at(10, 0, 0, 0, 0), at(14, 0, 0, 0, 0))
        .metric("totalCost", Aggregation::Sum)
        .any_of("userId", &["user1"]);
    let answer = execute(&api.pool, &api.project, &one_user.validate(ApiVersion::V1).unwrap(), Strategy::Auto).await.unwrap();
    assert_eq!(answer.plan, Plan::Raw);
}

#[tokio::test]
async fn a_mark_waits_for_nothing_and_the_recompute_waits_for_markers() {
    let api = TestApi::new().await;
    let mut n = 0;
    ingest(&api, vec![event(&mut n, "trace-create", json!({"id": "t1", "name": "x", "timestamp": "2026-11-02T10:00:00Z"}))]).await;
    recompute(&api).await;
    // A transaction marks the hour (shared stripe lock) and stays open; a second marks it too
    // without waiting; the recompute waits for both, so it sees their rows.
    let mut first = api.pool.begin().await.unwrap();
    rollups::invalidate(&mut *first, &api.project, at(2, 10, 0, 0, 0), at(2, 11, 0, 0, 0)).await.unwrap();
    let mut second = api.pool.begin().await.unwrap();
    tokio::time::timeout(std::time::Duration::from_secs(5), rollups::invalidate(&mut *second, &api.project, at(2, 10, 0, 0, 0), at(2, 11, 0, 0, 0)))
        .await
        .expect("marks do not wait for each other")
        .unwrap();
    let pool = api.pool.clone();
    let job = tokio::spawn(async move { rollups::recompute_hour(&pool, "proj-a", at(2, 10, 0, 0, 0)).await });
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    assert!(!job.is_finished(), "the recompute waits for the markers");
    sqlx::query("UPDATE traces SET name = 'y' WHERE project_id = 'proj-a' AND id = 't1'").execute(&mut *first).await.unwrap();
    first.commit().await.unwrap();
    second.commit().await.unwrap();
    assert!(job.await.unwrap().unwrap(), "recomputed once the markers committed");
    let name: Option<String> = sqlx::query_scalar("SELECT name FROM metric_rollup_traces WHERE project_id = 'proj-a'").fetch_one(&api.pool).await.unwrap();
    assert_eq!(name.as_deref(), Some("y"), "the recompute saw the marker's change");
    let rows = loupe_core::metrics::run(&api.pool, &api.project, &MetricsQuery::new(View::Traces, at(1, 0, 0, 0, 0), at(3, 0, 0, 0, 0))
        .metric("count", Aggregation::Count).dimension("name").order_by("count_count", SortDirection::Desc), ApiVersion::V1).await.unwrap();
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].text("name").as_deref(), Some("y"));
}

/// The project's dirty hours, sorted, removed.
async fn take_dirty_hours(conn: &mut sqlx::PgConnection, project_id: &str) -> Vec<DateTime<Utc>> {
    let mut hours: Vec<DateTime<Utc>> = sqlx::query_scalar("DELETE FROM metric_rollup_dirty WHERE project_id = $1 RETURNING hour")
        .bind(project_id)
        .fetch_all(conn)
        .await
        .unwrap();
    hours.sort();
    hours
}

/// Ingestion marks the hours of the traces it wrote from the extents the `trace_metrics` upsert
/// returned (issue #23) instead of looking them up: for each of 300 random extents — a timestamp
/// alone, observations alone, both, edges on the hour, spans around two days — the hours marked
/// from the extent are the hours the lookup marks. Fails when `extent_hours` strays from the SQL
/// (the 48-hour rule, an end on the hour, NULLs).
#[tokio::test]
async fn hours_marked_from_extents_equal_the_hours_looked_up() {
    use rand::{Rng, SeedableRng};
    let api = TestApi::new().await;
    let mut rng = rand::rngs::StdRng::seed_from_u64(23);
    let base = at(10, 0, 0, 0, 0);
    let mut conn = api.pool.acquire().await.unwrap();
    for i in 0..300 {
        // Minutes, sometimes whole hours, over four days; spans up to ~3 days, some exactly 48 h.
        let time = |rng: &mut rand::rngs::StdRng| {
            let minutes = if rng.gen_bool(0.2) { rng.gen_range(0..96) * 60 } else { rng.gen_range(0..96 * 60) };
            base + Duration::minutes(minutes) + Duration::milliseconds(rng.gen_range(0..2) * 999)
        };
        let timestamp = rng.gen_bool(0.8).then(|| time(&mut rng));
        let (start, end) = if rng.gen_bool(0.75) {
            let start = time(&mut rng);
            let length = match rng.gen_range(0..4) {
                0 => Duration::hours(48),
                1 => Duration::hours(48) + Duration::milliseconds(1),
                _ => Duration::minutes(rng.gen_range(0..72 * 60)),
            };
            (Some(start), Some(start + length))
        } else {
            (None, None)
        };
        let id = format!("extent-{i}");
        if let Some(ts) = timestamp {
            sqlx::query("INSERT INTO traces (project_id, id, timestamp) VALUES ($1, $2, $3)")
                .bind(&api.project_id).bind(&id).bind(ts).execute(&mut *conn).await.unwrap();
        }
        sqlx::query("INSERT INTO trace_metrics (project_id, trace_id, timestamp, start_time, end_time) VALUES ($1, $2, $3, $4, $5)")
            .bind(&api.project_id).bind(&id).bind(timestamp).bind(start).bind(end).execute(&mut *conn).await.unwrap();

        rollups::mark_traces(&mut conn, &api.project, [&id]).await.unwrap();
        let looked_up = take_dirty_hours(&mut conn, &api.project_id).await;
        let extent = rollups::TraceExtent { trace_id: id.clone(), timestamp, start, end };
        rollups::mark_traces_with_extents(&mut conn, &api.project, std::slice::from_ref(&extent), std::iter::empty::<&str>()).await.unwrap();
        let from_extent = take_dirty_hours(&mut conn, &api.project_id).await;
        assert_eq!(from_extent, looked_up, "{extent:?}");
        if let Some(hours) = rollups::extent_hours(&extent) {
            assert_eq!(hours, looked_up, "computed in Rust: {extent:?}");
        }
    }
}

/// Issue #23: a trace whose timestamp moves marks its old hour dirty only when it leaves that
/// hour — a root exported after its children moves the timestamp back by milliseconds on nearly
/// every such trace, and the writer marks the trace's hour anyway. Within the hour no hour is
/// marked (it failed so before: the trigger marked it on every move); across an hour both are.
#[tokio::test]
async fn a_timestamp_moving_within_its_hour_marks_nothing() {
    let api = TestApi::new().await;
    let mut conn = api.pool.acquire().await.unwrap();
    sqlx::query("INSERT INTO traces (project_id, id, timestamp) VALUES ($1, 'moving', $2)")
        .bind(&api.project_id).bind(at(10, 10, 30, 0, 0)).execute(&mut *conn).await.unwrap();
    take_dirty_hours(&mut conn, &api.project_id).await;
    let move_to = |ts: DateTime<Utc>| {
        sqlx::query("UPDATE traces SET timestamp = $2 WHERE project_id = $1 AND id = 'moving'").bind(&api.project_id).bind(ts)
    };
    move_to(at(10, 10, 0, 0, 1)).execute(&mut *conn).await.unwrap();
    assert_eq!(take_dirty_hours(&mut conn, &api.project_id).await, Vec::<DateTime<Utc>>::new(), "within the hour");
    move_to(at(10, 9, 59, 59, 999)).execute(&mut *conn).await.unwrap();
    assert_eq!(take_dirty_hours(&mut conn, &api.project_id).await, vec![at(10, 9, 0, 0, 0), at(10, 10, 0, 0, 0)], "across the hour");
}

/// Issue #23: the rollups' lock key is inlined by the planner — an IMMUTABLE SQL function calling
/// a STABLE one is not, and then Postgres parsed and planned its body on every mark — and gives
/// the value of its first definition for every timestamp (before 1970, on the hour, around a
/// daylight-saving change in the session's time zone), so marks and recomputes agree across the
/// upgrade. Fails with the first definition (not inlined) or with a key that strays.
#[tokio::test]
async fn the_rollup_lock_key_is_inlined_and_keeps_its_values() {
    let api = TestApi::new().await;
    let mut conn = api.pool.acquire().await.unwrap();
    // `now()`, not a bound value: a call of an immutable function on constants is folded to
    // its value at plan time, inlined or not.
    let plan: Vec<String> = sqlx::query_scalar("EXPLAIN (VERBOSE, FORMAT TEXT) SELECT loupe_metric_rollup_lock_key($1, now())")
        .bind(&api.project_id)
        .fetch_all(&mut *conn)
        .await
        .unwrap();
    let plan = plan.join("\n");
    assert!(plan.contains("Output:"), "{plan}");
    assert!(!plan.contains("loupe_metric_rollup_lock_key"), "inlined: {plan}");
    sqlx::query("SET timezone = 'America/New_York'").execute(&mut *conn).await.unwrap();
    let (compared, differing): (i64, i64) = sqlx::query_as(
        "WITH t AS (
             SELECT 'proj-' || (i % 7) AS p, timestamptz '1960-01-01 00:00:00+00' + (i * 7919 % 6307200) * interval '17 minutes 13.5 seconds' AS ts
             FROM generate_series(1, 20000) i
             UNION ALL SELECT 'p', timestamptz '2026-03-08 06:59:59.999999+00' + i * interval '1 minute' FROM generate_series(-200, 200) i
             UNION ALL SELECT 'p', timestamptz '1969-12-31 22:00:00+00' + i * interval '37 seconds' FROM generate_series(0, 1000) i)
         SELECT count(*), count(*) FILTER (WHERE loupe_metric_rollup_lock_key(p, ts) IS DISTINCT FROM
             (hashtextextended('loupe.metric_rollup:' || p, 0) & ~15::bigint)
             | ((((extract(epoch FROM date_trunc('hour', ts, 'UTC'))::bigint / 3600) % 16) + 16) % 16))
         FROM t",
    )
    .fetch_one(&mut *conn)
    .await
    .unwrap();
    assert_eq!((compared, differing), (21_402, 0));
}
